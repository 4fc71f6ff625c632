"""Admin forms: write-only secrets, policy presets and validation, the policy simulator."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qcloud import policy as cam
from qcloud.limits import STS_POLICY_LIMIT
from qcloud.regions import REGIONS
from signer.limits import KNOWN_ACTIONS, Limits, LimitsError, apply
from signer.models import AccessPolicy, CloudAccount
from signer.policy_lint import unseparated_variables
from signer.policy_overlap import equal_priority_conflict
from signer.presets import PRESETS, preset_statements

REGION_CHOICES = [(code, f"{code} ({name})") for code, name in REGIONS.items()]


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class CloudAccountForm(forms.ModelForm):  # type: ignore[type-arg]
    """SecretId and SecretKey are write-only: never rendered back (the SecretId shows masked beside the field)."""

    secret_id = forms.CharField(
        label="SecretId",
        required=False,
        max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    secret_key = forms.CharField(
        label="SecretKey",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted; never shown again."),
    )
    default_region = forms.ChoiceField(
        label=gettext_lazy("Default region"), choices=REGION_CHOICES, initial="ap-guangzhou"
    )

    class Meta:
        model = CloudAccount
        fields = ["name", "appid", "secret_id", "secret_key", "default_region", "role_arn", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["secret_id"] = ""
        if self.instance.pk:
            self.fields["secret_id"].help_text = _("Current: %(masked)s. Leave blank to keep it.") % {
                "masked": self.instance.masked_secret_id
            }
            self.fields["secret_key"].help_text = _(
                "Stored encrypted; never shown. Leave blank to keep the current one."
            )
        else:
            self.fields["secret_id"].required = True
            self.fields["secret_key"].required = True

    def clean_secret_id(self) -> str:
        value: str = self.cleaned_data.get("secret_id", "").strip()
        if not value and self.instance.pk:
            return str(self.instance.secret_id)
        return value

    def save(self, commit: bool = True) -> CloudAccount:
        account: CloudAccount = super().save(commit=False)
        if self.cleaned_data.get("secret_key"):
            account.secret_key = self.cleaned_data["secret_key"]
        if commit:
            account.save()
        return account


def sample_variables(account: CloudAccount | None, document: Any = None) -> dict[str, str]:
    """What a policy is checked with before it is saved: alice's values, and a sample for each ${jwt:claim} it uses."""
    samples = {"username": "alice", "user_id": "1", "appid": account.appid if account else "1250000000"}
    claims = cam.template_variables(document) if document is not None else set()
    return samples | {name: "sample" for name in claims if name.startswith("jwt:")}


class AccessPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    # Valid but probably unmeant (signer/policy_lint.py): shown by the admin once the policy is saved.
    warnings: list[str] = []

    preset = forms.ChoiceField(
        label=gettext_lazy("Preset"),
        required=False,
        choices=[
            ("", gettext_lazy("— keep the statements below —")),
            *((name, format_lazy("{}: {}", name, text)) for name, text in PRESETS.items()),
        ],
        help_text=gettext_lazy("Choosing a preset replaces the statements with it, for the bucket and region below."),
    )
    preset_bucket = forms.CharField(
        label=gettext_lazy("Preset bucket"),
        required=False,
        max_length=64,
        help_text=gettext_lazy('Full name, e.g. "demo-1250000000".'),
    )
    preset_region = forms.ChoiceField(
        label=gettext_lazy("Preset region"),
        required=False,
        choices=[("*", gettext_lazy("* (any region)")), *REGION_CHOICES],
        initial="*",
    )
    statements = PrettyJSONField(
        label=gettext_lazy("Statements"),
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "class": "vLargeTextField", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "CAM statements (a list, or a whole policy document). Variables: ${username}, ${user_id}, ${appid}."
        ),
        required=False,
    )

    class Meta:
        model = AccessPolicy
        fields = [
            "name",
            "description",
            "account",
            "duration",
            "priority",
            "preset",
            "preset_bucket",
            "preset_region",
            "statements",
            "max_object_size",
            "allowed_content_types",
            "allowed_networks",
            "forbid_overwrite",
            "users",
            "groups",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        account: CloudAccount | None = cleaned.get("account")
        preset = cleaned.get("preset")
        if preset:
            bucket = (cleaned.get("preset_bucket") or "").strip()
            if not bucket:
                self.add_error("preset_bucket", _("A preset needs the bucket it is for."))
                return cleaned
            cleaned["statements"] = preset_statements(preset, bucket=bucket, region=cleaned.get("preset_region") or "*")
        statements = cleaned.get("statements")
        if isinstance(statements, dict) and "statement" in statements:
            statements = statements["statement"]
        if not statements:
            self.add_error("statements", _("A policy needs at least one statement (or choose a preset)."))
            return cleaned
        cleaned["statements"] = statements
        self.warnings = unseparated_variables(statements)
        try:
            limits = Limits.from_fields(
                max_object_size=cleaned.get("max_object_size"),
                allowed_content_types=cleaned.get("allowed_content_types") or "",
                allowed_networks=cleaned.get("allowed_networks") or "",
                forbid_overwrite=bool(cleaned.get("forbid_overwrite")),
            )
        except LimitsError as exc:
            self.add_error(exc.field, exc.message)
            return cleaned
        try:
            document = {"version": cam.VERSION, "statement": statements}
            policy = apply(cam.parse_policy(cam.substitute(document, sample_variables(account, document))), limits)
        except cam.PolicyError as exc:
            self.add_error("statements", str(exc))
            return cleaned
        encoded = len(quote(policy.to_json()))
        if encoded > STS_POLICY_LIMIT:
            self.add_error(
                "statements",
                _(
                    "This policy is %(length)d characters once URL-encoded for alice; STS accepts at most "
                    "%(limit)d. Merge statements or use wildcards."
                )
                % {"length": encoded, "limit": STS_POLICY_LIMIT},
            )
        self._refuse_equal_priority(cleaned)
        duration = cleaned.get("duration")
        if account is not None and duration is not None and duration > account.max_duration:
            self.add_error(
                "duration",
                (
                    _("At most %(seconds)d seconds for a role-based account.")
                    if account.role_arn
                    else _("At most %(seconds)d seconds for this account.")
                )
                % {"seconds": account.max_duration},
            )
        return cleaned

    def _refuse_equal_priority(self, cleaned: dict[str, Any]) -> None:
        priority = cleaned.get("priority")
        if priority is None:
            return
        conflict = equal_priority_conflict(
            policy_id=self.instance.pk,
            priority=priority,
            user_ids=[user.pk for user in cleaned.get("users") or []],
            groups=list(cleaned.get("groups") or []),
        )
        if conflict is not None:
            other, username = conflict
            self.add_error(
                "priority",
                _(
                    "%(user)s also has policy %(other)s at priority %(priority)d: which one is their default would "
                    "be decided by name. Give one of them another priority."
                )
                % {"user": username, "other": repr(other.name), "priority": priority},
            )

    def save(self, commit: bool = True) -> AccessPolicy:
        instance: AccessPolicy = super().save(commit=False)
        instance.statements = self.cleaned_data["statements"]
        if commit:
            instance.save()
            self.save_m2m()
        return instance


class PolicySimulatorForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("User"), queryset=get_user_model().objects.order_by("username"))
    policy = forms.ModelChoiceField(
        label=gettext_lazy("Policy"),
        queryset=AccessPolicy.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy(
            "Default: the user's default policy. Any policy may be tried, assigned to the user or not."
        ),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"), choices=[(a, a) for a in KNOWN_ACTIONS], initial="name/cos:PutObject"
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"), choices=REGION_CHOICES, initial="ap-guangzhou")
    bucket = forms.CharField(
        label=gettext_lazy("Bucket"),
        max_length=64,
        required=False,
        help_text=gettext_lazy('Full name, e.g. "demo-1250000000".'),
    )
    key = forms.CharField(
        label=gettext_lazy("Key or prefix"),
        max_length=1024,
        required=False,
        help_text=gettext_lazy("The object key (or the listing prefix)."),
    )
    content_length = forms.IntegerField(label=gettext_lazy("Size (bytes)"), required=False, min_value=0)
    content_type = forms.CharField(label=gettext_lazy("Content type"), required=False, max_length=200)
    ip = forms.GenericIPAddressField(label=gettext_lazy("Client IP"), required=False)
    forbid_overwrite = forms.ChoiceField(
        label=gettext_lazy("x-cos-forbid-overwrite"),
        choices=[("", gettext_lazy("(not sent)")), ("true", "true"), ("false", "false")],
        required=False,
        help_text=gettext_lazy('The header an upload sends to refuse replacing an existing object ("true").'),
    )
    acl = forms.CharField(
        label=gettext_lazy("x-cos-acl"),
        required=False,
        max_length=40,
        help_text=gettext_lazy('The canned ACL an upload asks for, e.g. "private".'),
    )

    def context(self) -> cam.RequestContext:
        data = self.cleaned_data
        return cam.RequestContext(
            content_length=data.get("content_length"),
            content_type=data.get("content_type") or None,
            ip=data.get("ip") or None,
            acl=data.get("acl") or None,
            forbid_overwrite=data.get("forbid_overwrite") or None,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") != "name/cos:GetService" and not cleaned.get("bucket"):
            self.add_error("bucket", _("This action needs a bucket."))
        return cleaned


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


__all__ = ["AccessPolicyForm", "CloudAccountForm", "PolicySimulatorForm", "ValidationError", "pretty"]
