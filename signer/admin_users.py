"""The admin's user page, with what the signer knows about a person: the kill switch ("Revoke access now"), when
the credentials already issued expire, and the effective policies with the rendered CAM document; and the read-only
list of cut-offs (the kill switch's audit)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from knox.models import AuthToken

from qcloud import policy as cam
from signer.limits import LimitsError
from signer.models import AccessRevocation, ApiTokenInfo
from signer.revocation import access_revoke, issued_valid_until
from signer.selectors import policies_for_user

User = get_user_model()

NO_RECALL = gettext_lazy("STS has no revocation: credentials already issued stay valid until they expire.")


def local_time(moment: datetime) -> str:
    """A moment as the admin shows it: the portal's time zone, to the second, with the zone's name."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"


def revoke_message(user: Any, by: str) -> str:
    revocation = access_revoke(user=user, reason="revoked in the admin", by=by)
    until = revocation.issued_valid_until
    issued = (
        _("credentials already issued stay valid until %(until)s (%(no_recall)s)")
        % {"until": local_time(until), "no_recall": NO_RECALL}
        if until
        else _("no credential issued to them is still valid")
    )
    tokens = ngettext("%(count)d API token", "%(count)d API tokens", revocation.tokens_ended) % {
        "count": revocation.tokens_ended
    }
    sessions = ngettext("%(count)d session", "%(count)d sessions", revocation.sessions_ended) % {
        "count": revocation.sessions_ended
    }
    return _(
        "Access of %(user)s revoked: %(tokens)s and %(sessions)s ended, cached credentials no longer handed out; "
        "%(issued)s"
    ) % {"user": revocation.username, "tokens": tokens, "sessions": sessions, "issued": issued}


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/auth/user/signer_change_form.html"
    actions = ["revoke_access"]
    readonly_fields = [*UserAdmin.readonly_fields, "issued_credentials", "effective_policies"]
    fieldsets = [
        *(UserAdmin.fieldsets or []),
        (gettext_lazy("Cloud access"), {"fields": ["issued_credentials", "effective_policies"]}),
    ]

    def get_urls(self) -> list[URLPattern]:
        revoke = path(
            "<path:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view), name="signer_user_revoke"
        )
        return [revoke, *super().get_urls()]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Revoke access now" button (POST)."""
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404
        if request.method != "POST" or not self.has_change_permission(request, user):
            raise PermissionDenied
        self.message_user(request, revoke_message(user, request.user.get_username()), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))

    @admin.action(description=gettext_lazy("Revoke access now (tokens, sessions, cached credentials)"))
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            self.message_user(request, revoke_message(user, request.user.get_username()), messages.WARNING)

    @admin.display(description=gettext_lazy("Issued credentials"))
    def issued_credentials(self, user: Any) -> str:
        if user.pk is None:
            return "-"
        until = issued_valid_until(user.pk)
        if until is None:
            return _("No credential issued to this user is still valid.")
        return _("The last credential issued expires at %(until)s. %(no_recall)s") % {
            "until": local_time(until),
            "no_recall": NO_RECALL,
        }

    @admin.display(description=gettext_lazy("Effective policies"))
    def effective_policies(self, user: Any) -> str:
        if user.pk is None:
            return "-"
        policies = policies_for_user(user)
        if not policies:
            return _("No access policy (directly or through a group): no credentials can be issued.")
        rows = []
        for index, access_policy in enumerate(policies):
            direct = access_policy.users.filter(pk=user.pk).exists()
            groups = ", ".join(access_policy.groups.filter(user=user).values_list("name", flat=True))
            sources = [_("assigned directly")] if direct else []
            if groups:
                sources.append(_("through groups: %(groups)s") % {"groups": groups})
            try:
                document = json.dumps(access_policy.render(user).to_dict(), indent=2, ensure_ascii=False)
            except (cam.PolicyError, LimitsError) as exc:
                document = _("cannot be rendered: %(error)s") % {"error": exc}
            rows.append(
                (
                    access_policy.name,
                    _(" (default)") if index == 0 else "",
                    _("priority %(priority)d") % {"priority": access_policy.priority},
                    ", ".join(sources),
                    document,
                )
            )
        return format_html(
            '<div class="signer-effective">{}</div>',
            format_html_join("", "<p><strong>{}</strong>{} · {} · {}</p><pre>{}</pre>", rows),
        )


@admin.register(AccessRevocation)
class AccessRevocationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created", "username", "reason", "by", "tokens_ended", "sessions_ended", "issued_valid_until"]
    list_filter = ["reason", "created"]
    search_fields = ["username", "reason", "by"]
    date_hierarchy = "created"

    def get_readonly_fields(self, request: HttpRequest, obj: AccessRevocation | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessRevocation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AccessRevocation | None = None) -> bool:
        return False


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """knox's API tokens in the portal's words (knox's own admin lists its hash and English field names): which token
    (its first characters, as the My access page shows them), named what, whose, since when, until when, last used.
    Tokens are made by signing in (`/api/auth/login`, My access), never here; deleting one revokes it."""

    list_display = ["prefix", "token_name", "owner", "created_at", "expires", "last_used"]
    list_select_related = ["user", "info"]
    search_fields = ["user__username", "token_key", "info__name"]
    ordering = ["-created"]
    # The same columns on the token's own page, read-only (mypy wants each as its own literal).
    fields = ["prefix", "token_name", "owner", "created_at", "expires", "last_used"]
    readonly_fields = ["prefix", "token_name", "owner", "created_at", "expires", "last_used"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthToken | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Token"), ordering="token_key")
    def prefix(self, token: AuthToken) -> str:
        return f"{token.token_key}…"

    @admin.display(description=gettext_lazy("Name"), ordering="info__name")
    def token_name(self, token: AuthToken) -> str | None:
        info: ApiTokenInfo | None = getattr(token, "info", None)  # None for a token made before names were kept
        return info.name if info is not None else None

    @admin.display(description=gettext_lazy("user"), ordering="user__username")
    def owner(self, token: AuthToken) -> str:
        return str(token.user.get_username())

    @admin.display(description=gettext_lazy("Created"), ordering="created")
    def created_at(self, token: AuthToken) -> datetime:
        created: datetime = token.created  # knox has no type hints
        return created

    @admin.display(description=gettext_lazy("Expires"), ordering="expiry")
    def expires(self, token: AuthToken) -> datetime | None:
        expiry: datetime | None = token.expiry
        return expiry

    @admin.display(description=gettext_lazy("Last used"), ordering="info__last_used")
    def last_used(self, token: AuthToken) -> datetime | None:
        info: ApiTokenInfo | None = getattr(token, "info", None)
        return info.last_used if info is not None else None
