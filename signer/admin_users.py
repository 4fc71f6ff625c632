"""The admin's user page, with what the signer knows about a person: the kill switch ("Revoke access now"), when
the credentials already issued expire, and the effective policies with the rendered CAM document; and the read-only
list of cut-offs (the kill switch's audit)."""

from __future__ import annotations

import json
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

from qcloud import policy as cam
from signer.limits import LimitsError
from signer.models import AccessRevocation
from signer.revocation import access_revoke, issued_valid_until
from signer.selectors import policies_for_user

User = get_user_model()

NO_RECALL = "STS has no revocation: credentials already issued stay valid until they expire."


def revoke_message(user: Any, by: str) -> str:
    revocation = access_revoke(user=user, reason="revoked in the admin", by=by)
    until = revocation.issued_valid_until
    issued = (
        f"credentials already issued stay valid until {timezone.localtime(until):%Y-%m-%d %H:%M:%S %Z} ({NO_RECALL})"
        if until
        else "no credential issued to them is still valid"
    )
    return (
        f"Access of {revocation.username} revoked: {revocation.tokens_ended} API token(s) and "
        f"{revocation.sessions_ended} session(s) ended, cached credentials no longer handed out; {issued}"
    )


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/auth/user/signer_change_form.html"
    actions = ["revoke_access"]
    readonly_fields = [*UserAdmin.readonly_fields, "issued_credentials", "effective_policies"]
    fieldsets = [
        *(UserAdmin.fieldsets or []),
        ("Cloud access", {"fields": ["issued_credentials", "effective_policies"]}),
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

    @admin.action(description="Revoke access now (tokens, sessions, cached credentials)")
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            self.message_user(request, revoke_message(user, request.user.get_username()), messages.WARNING)

    @admin.display(description="Issued credentials")
    def issued_credentials(self, user: Any) -> str:
        if user.pk is None:
            return "-"
        until = issued_valid_until(user.pk)
        if until is None:
            return "No credential issued to this user is still valid."
        return f"The last credential issued expires at {timezone.localtime(until):%Y-%m-%d %H:%M:%S %Z}. {NO_RECALL}"

    @admin.display(description="Effective policies")
    def effective_policies(self, user: Any) -> str:
        if user.pk is None:
            return "-"
        policies = policies_for_user(user)
        if not policies:
            return "No access policy (directly or through a group): no credentials can be issued."
        rows = []
        for index, access_policy in enumerate(policies):
            direct = access_policy.users.filter(pk=user.pk).exists()
            groups = ", ".join(access_policy.groups.filter(user=user).values_list("name", flat=True))
            source = "direct" if direct else ""
            source = ", ".join(filter(None, [source, f"groups: {groups}" if groups else ""]))
            try:
                document = json.dumps(access_policy.render(user).to_dict(), indent=2, ensure_ascii=False)
            except (cam.PolicyError, LimitsError) as exc:
                document = f"cannot be rendered: {exc}"
            rows.append(
                (
                    access_policy.name,
                    " (default)" if index == 0 else "",
                    access_policy.priority,
                    source,
                    document,
                )
            )
        return format_html(
            '<div class="signer-effective">{}</div>',
            format_html_join(
                "",
                "<p><strong>{}</strong>{} · priority {} · {}</p><pre>{}</pre>",
                rows,
            ),
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
