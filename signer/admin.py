"""Admin: cloud accounts with write-only secrets and a connection test, policies with presets and a simulator,
and the read-only audit of every credential delivery."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from qcloud import policy as cam
from signer import audit, selectors, services
from signer.admin_simulator import simulation_result
from signer.admin_users import NO_RECALL, local_time
from signer.errors import SignerError
from signer.forms import AccessPolicyForm, CloudAccountForm, PolicySimulatorForm
from signer.identity import keys as identity_keys
from signer.models import AccessPolicy, CloudAccount, Identity, IdentityProvider, IssuedCredential, Refusal

logger = logging.getLogger(__name__)

sensitive = method_decorator(sensitive_post_parameters("secret_key", "secret_id"))


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CloudAccountForm
    list_display = ["name", "appid", "masked_secret_id", "default_region", "uses_role", "is_active", "updated"]
    list_filter = ["is_active", "default_region"]
    search_fields = ["name", "appid"]
    readonly_fields = ["created", "updated", "issued_credentials"]
    actions = ["test_connection"]
    change_form_template = "admin/signer/cloudaccount/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        test = path(
            "<path:object_id>/test-connection/",
            self.admin_site.admin_view(self.test_connection_view),
            name="signer_cloudaccount_test_connection",
        )
        return [test, *super().get_urls()]

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Test connection" button (POST): a real STS call with this account's keys."""
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404
        if request.method != "POST" or not self.has_change_permission(request, account):
            raise PermissionDenied
        self._report(request, account)
        return HttpResponseRedirect(reverse("admin:signer_cloudaccount_change", args=[account.pk]))

    def _report(self, request: HttpRequest, account: CloudAccount) -> None:
        result = services.account_test_connection(account=account)
        if result.ok:
            self.message_user(
                request,
                _("Connection OK for %(account)s: %(message)s.") % {"account": account.name, "message": result.message},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("Connection failed for %(account)s: STS answered %(code)s: %(message)s")
                % {"account": account.name, "code": result.code, "message": result.message},
                messages.ERROR,
            )

    @admin.display(description=gettext_lazy("Issued credentials"))
    def issued_credentials(self, account: CloudAccount) -> str:
        return issued_until_text(IssuedCredential.objects.filter(account=account)) if account.pk else "-"

    @admin.display(description="SecretId")
    def masked_secret_id(self, account: CloudAccount) -> str:
        return account.masked_secret_id

    @admin.display(description="AssumeRole", boolean=True)
    def uses_role(self, account: CloudAccount) -> bool:
        return bool(account.role_arn)

    @sensitive
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    @admin.action(description=gettext_lazy("Test connection (a real STS call)"))
    def test_connection(self, request: HttpRequest, queryset: QuerySet[CloudAccount]) -> None:
        for account in queryset:
            self._report(request, account)


@admin.register(AccessPolicy)
class AccessPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = AccessPolicyForm
    list_display = ["name", "account", "duration", "priority", "updated"]
    list_filter = ["account"]
    search_fields = ["name", "description"]
    filter_horizontal = ["users", "groups"]
    change_list_template = "admin/signer/accesspolicy/change_list.html"
    fieldsets = [
        (None, {"fields": ["name", "description", "account", "duration", "priority"]}),
        (gettext_lazy("Statements"), {"fields": ["preset", "preset_bucket", "preset_region", "statements"]}),
        (
            gettext_lazy("Limits"),
            {"fields": ["max_object_size", "allowed_content_types", "allowed_networks", "forbid_overwrite"]},
        ),
        (gettext_lazy("Who gets it"), {"fields": ["users", "groups"]}),
        (gettext_lazy("Issued"), {"fields": ["issued_credentials"]}),
    ]
    readonly_fields = ["issued_credentials"]

    def save_model(self, request: HttpRequest, obj: AccessPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "warnings", []):
            self.message_user(request, warning, messages.WARNING)

    @admin.display(description=gettext_lazy("Issued credentials"))
    def issued_credentials(self, policy: AccessPolicy) -> str:
        return issued_until_text(IssuedCredential.objects.filter(policy=policy)) if policy.pk else "-"

    def get_urls(self) -> list[URLPattern]:
        simulate = path(
            "simulate/", self.admin_site.admin_view(self.simulate_view), name="signer_accesspolicy_simulate"
        )
        return [simulate, *super().get_urls()]

    def simulate_view(self, request: HttpRequest) -> HttpResponse:
        """User + action + bucket/key (+ size, type, IP) -> allowed or denied, and the statement that decided."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PolicySimulatorForm(request.GET or None)
        result: dict[str, Any] | None = None
        if form.is_valid():
            data = form.cleaned_data
            policy = data.get("policy")
            try:
                simulation = selectors.policy_simulate(
                    user=data["user"],
                    access_policy=policy,
                    action=data["action"],
                    region=data["region"],
                    bucket=data.get("bucket") or "",
                    key=data.get("key") or "",
                    context=form.context(),
                )
            except (SignerError, cam.PolicyError) as exc:
                result = {"error": getattr(exc, "message", str(exc))}
            else:
                result = simulation_result(simulation)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Policy simulator"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/signer/accesspolicy/simulate.html", context)


def issued_until_text(issued: QuerySet[IssuedCredential]) -> str:
    """When the last credential already issued here expires: a change saved now stops the cached ones from being
    handed out, but STS cannot recall what it issued."""
    latest = issued.filter(expired_time__gt=timezone.now()).aggregate(latest=Max("expired_time"))["latest"]
    if latest is None:
        return _("No credential issued here is still valid.")
    return _(
        "The last credential already issued expires at %(until)s. %(no_recall)s Saving a change stops cached ones "
        "from being handed out."
    ) % {"until": local_time(latest), "no_recall": NO_RECALL}


@admin.register(IssuedCredential)
class IssuedCredentialAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # What fits 1280 px beside the sidebar and the filters (tests/ops/test_admin_audit_width.py); expiry, scoping
    # and the rest are on each row's page, and scoping is a filter.
    list_display = ["created", "username", "policy_name", "tmp_secret_id", "served_from_cache", "client_ip"]
    list_filter = ["served_from_cache", "scoped", "policy_name", "account", "created"]
    search_fields = ["username", "tmp_secret_id", "request_id", "client_ip", "user_agent", "scope_digest"]
    date_hierarchy = "created"
    list_select_related = ["account"]

    class Media:
        css = {"all": ["signer/audit.css"]}

    def get_readonly_fields(self, request: HttpRequest, obj: IssuedCredential | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Rows still in the audit outbox (at most a drain interval old) are written first: the list is complete.
        try:
            audit.drain()
        except Exception:  # noqa: BLE001 - the list shows what the database has; the workers keep draining
            logger.warning("audit drain before the changelist failed", exc_info=True)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IssuedCredential | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IssuedCredential | None = None) -> bool:
        return False


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "issuer", "policy", "policy_claim", "is_active", "updated"]
    list_filter = ["is_active"]
    search_fields = ["name", "issuer"]
    readonly_fields = ["created", "updated"]
    fields = [
        "name",
        "issuer",
        "audiences",
        "claim",
        "policy",
        "policy_claim",
        "policy_mapping",
        "algorithms",
        "is_active",
        "created",
        "updated",
    ]

    def save_model(self, request: HttpRequest, obj: IdentityProvider, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        identity_keys.keys_forget(obj)  # a new issuer URL must not be served the old one's keys


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Created by the identities' own sign-ins; deleting one (or disabling its user) is what an administrator does."""

    list_display = ["__str__", "provider", "user", "is_active", "created", "last_used"]
    list_filter = ["provider", "is_active"]
    search_fields = ["subject", "user__username"]
    readonly_fields = ["provider", "subject", "user", "claims", "created", "last_used"]
    fields = ["provider", "subject", "user", "is_active", "claims", "created", "last_used"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Refusal)
class RefusalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The refusals next to the deliveries (Issued credentials): filtered by kind; read-only, as the audit is.

    Six columns, wrapping (signer/static/signer/audit.css), so that the list fits 1280 px beside the sidebar and the
    filters; the user agent is on the row's page."""

    list_display = ["created", "kind", "username", "client_ip", "reason", "path"]

    class Media:
        css = {"all": ["signer/audit.css"]}

    list_filter = ["kind", "created"]
    search_fields = ["username", "client_ip", "reason", "path"]
    date_hierarchy = "created"

    def get_readonly_fields(self, request: HttpRequest, obj: Refusal | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Refusal | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Refusal | None = None) -> bool:
        return False
