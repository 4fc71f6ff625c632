"""Cloud accounts (their secrets encrypted at rest), the policies users get, and the audit of every delivery."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qcloud import policy as cam
from signer import crypto, limits

ANONYMOUS_USERNAME = "anonymous"
FEDERATION_MAX_DURATION = 7200
ROLE_MAX_DURATION = 43200


def mask(secret_id: str) -> str:
    """What the admin shows of a SecretId: enough to recognise it, not enough to use it."""
    if len(secret_id) <= 8:
        return "*" * len(secret_id)
    return f"{secret_id[:4]}{'*' * 8}{secret_id[-4:]}"


class CloudAccount(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)
    appid = models.CharField(
        _("AppID"),
        max_length=20,
        validators=[RegexValidator(r"^[0-9]{6,20}$", _("An AppID is a number like 1250000000."))],
    )
    secret_id = models.CharField(_("SecretId"), max_length=128)
    # Fernet ciphertext of the SecretKey (settings.PORTAL_SECRETS_KEYS); the plaintext is never stored.
    secret_key_encrypted = models.TextField(verbose_name=_("encrypted SecretKey"), editable=False)
    default_region = models.CharField(verbose_name=_("default region"), max_length=32, default="ap-guangzhou")
    role_arn = models.CharField(
        _("role ARN"),
        max_length=256,
        blank=True,
        help_text=_(
            "qcs::cam::uin/UIN:roleName/NAME: credentials then come from AssumeRole, not "
            "GetFederationToken, and the key only needs name/sts:AssumeRole."
        ),
        validators=[
            RegexValidator(
                r"^qcs::cam::uin/[0-9]+:role(Name)?/[\w+=,.@-]+$", _("Expected qcs::cam::uin/<uin>:roleName/<name>.")
            )
        ],
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    # Bumped by every change to what credentials are made with (keys, role, AppID, region, active): the credential
    # cache keys on it, so nothing minted under the old configuration is handed out again.
    config_version = models.PositiveIntegerField(verbose_name=_("configuration version"), default=1, editable=False)
    created = models.DateTimeField(verbose_name=_("created"), auto_now_add=True)
    updated = models.DateTimeField(verbose_name=_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cloud account")
        verbose_name_plural = _("cloud accounts")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and self._configuration_changed():
            self.config_version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "config_version"}
        super().save(*args, **kwargs)

    def _configuration_changed(self) -> bool:
        stored = CloudAccount.objects.filter(pk=self.pk).first()
        if stored is None:
            return False
        fields = ("secret_id", "role_arn", "appid", "default_region", "is_active")
        if any(getattr(stored, name) != getattr(self, name) for name in fields):
            return True
        if stored.secret_key_encrypted == self.secret_key_encrypted:
            return False
        try:  # re-encrypted under a new key (secrets_rotate) is the same key
            return stored.secret_key != self.secret_key
        except crypto.SecretsKeyError:
            return True

    @property
    def secret_key(self) -> str:
        return crypto.decrypt(self.secret_key_encrypted)

    @secret_key.setter
    def secret_key(self, value: str) -> None:
        self.secret_key_encrypted = crypto.encrypt(value)

    @property
    def masked_secret_id(self) -> str:
        return mask(self.secret_id)

    @property
    def max_duration(self) -> int:
        return ROLE_MAX_DURATION if self.role_arn else FEDERATION_MAX_DURATION


class AccessPolicy(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)
    description = models.TextField(verbose_name=_("description"), blank=True)
    account = models.ForeignKey(
        CloudAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="policies"
    )
    duration = models.PositiveIntegerField(
        _("duration (seconds)"),
        default=1800,
        validators=[MinValueValidator(1), MaxValueValidator(ROLE_MAX_DURATION)],
        help_text=_("How long issued credentials live: 1-7200 s (up to 43200 s for a role-based account)."),
    )
    # CAM statements, with ${username}, ${user_id} and ${appid} filled in per user when credentials are issued.
    statements = models.JSONField(verbose_name=_("statements"), default=list)
    priority = models.IntegerField(
        verbose_name=_("priority"), default=0, help_text=_("A user with several policies gets the highest by default.")
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("users"), blank=True, related_name="access_policies"
    )
    groups = models.ManyToManyField(Group, verbose_name=_("groups"), blank=True, related_name="access_policies")
    # Upload limits, added to the rendered policy as CAM conditions (signer/limits.py) that COS enforces.
    max_object_size = models.PositiveBigIntegerField(
        _("max object size (bytes)"),
        null=True,
        blank=True,
        help_text=_(
            "Uploads larger than this are refused. A size or type limit allows single uploads only "
            "(PutObject, up to 5 GB): COS checks a limit on each request, so multipart uploads are not granted."
        ),
    )
    allowed_content_types = models.CharField(
        verbose_name=_("allowed content types"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated, e.g. image/*, application/pdf. Empty: any type. Limits uploads to single "
            "PutObject requests, as a size limit does."
        ),
    )
    allowed_networks = models.CharField(
        _("allowed client networks"),
        max_length=1000,
        blank=True,
        help_text=_("Comma-separated IPs or CIDR networks, e.g. 203.0.113.0/24. Empty: any network."),
    )
    forbid_overwrite = models.BooleanField(
        _("forbid overwriting"),
        default=False,
        help_text=_(
            "Uploads may not replace an existing object: COS refuses them unless they carry "
            "x-cos-forbid-overwrite: true, and then refuses an existing name (409 FileAlreadyExists)."
        ),
    )
    created = models.DateTimeField(verbose_name=_("created"), auto_now_add=True)
    updated = models.DateTimeField(verbose_name=_("updated"), auto_now=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("access policy")
        verbose_name_plural = _("access policies")

    def __str__(self) -> str:
        return self.name

    def uses_identity_variables(self) -> bool:
        """Whether a statement names `${jwt:<claim>}`."""
        return "${jwt:" in json.dumps(self.statements)

    def variables(self, user: AbstractBaseUser | AnonymousUser, *, identity: bool | None = None) -> dict[str, str]:
        """What the policy's `${...}` render as for `user`; `identity`: whether to add the `jwt:` claims (default:
        if the policy uses them; a caller that remembers the answer per row version may say)."""
        if user.is_authenticated:
            values = {"username": user.get_username(), "user_id": str(user.pk), "appid": self.account.appid}
            if self.uses_identity_variables() if identity is None else identity:
                values.update(identity_variables(user))
            return values
        return {"username": ANONYMOUS_USERNAME, "user_id": "0", "appid": self.account.appid}

    def document(self) -> dict[str, Any]:
        return {"version": cam.VERSION, "statement": self.statements}

    def render(self, user: AbstractBaseUser | AnonymousUser) -> cam.Policy:
        """The user's policy: variables filled in, limits turned into conditions. Raises cam.PolicyError."""
        return self.render_with(self.variables(user))

    def render_with(self, variables: dict[str, str]) -> cam.Policy:
        policy = cam.parse_policy(cam.substitute(self.document(), variables))
        return limits.apply(policy, self.limits())

    def limits(self) -> limits.Limits:
        return limits.Limits.from_fields(
            max_object_size=self.max_object_size,
            allowed_content_types=self.allowed_content_types,
            allowed_networks=self.allowed_networks,
            forbid_overwrite=self.forbid_overwrite,
        )


class IssuedCredential(models.Model):
    """One delivery of temporary credentials. Never the temporary secret key or the session token."""

    # When the credentials were delivered (not when the row reached the table: see signer/audit.py's outbox).
    created = models.DateTimeField(verbose_name=_("created"), default=timezone.now, db_index=True)
    # No index of its own: the (user, -created) index below leads with the user, and serves every lookup by user
    # (a user's history, SET_NULL when a user is deleted) at one index less to write per delivery.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    username = models.CharField(verbose_name=_("username"), max_length=150, db_index=True)
    policy = models.ForeignKey(
        AccessPolicy, verbose_name=_("policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_name = models.CharField(verbose_name=_("policy name"), max_length=100)
    account = models.ForeignKey(
        CloudAccount, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scoped = models.BooleanField(verbose_name=_("scoped"), default=False)
    scope_digest = models.CharField(
        verbose_name=_("scope digest"), max_length=64, help_text=_("sha256 of the policy the credentials carry.")
    )
    scopes = models.JSONField(verbose_name=_("scopes"), default=list, blank=True)
    tmp_secret_id = models.CharField(_("TmpSecretId"), max_length=128, db_index=True)
    expired_time = models.DateTimeField(verbose_name=_("expired time"))
    request_id = models.CharField(_("STS RequestId"), max_length=64, blank=True)
    served_from_cache = models.BooleanField(verbose_name=_("served from cache"), default=False)
    client_ip = models.GenericIPAddressField(verbose_name=_("client ip"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)
    # Unique per delivery, so an audit outbox batch written twice (signer/audit.py) is stored once.
    delivery_id = models.UUIDField(verbose_name=_("delivery ID"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("issued credential")
        verbose_name_plural = _("issued credentials")
        indexes = [models.Index(fields=["user", "-created"])]

    def __str__(self) -> str:
        return f"{self.username} {self.policy_name} {self.tmp_secret_id}"


class Refusal(models.Model):
    """One refused request (signer/refusals.py): who (if known), from where, why, when. Never a password, token or key.

    A sibling of IssuedCredential rather than a kind of row in it: a refusal has no credentials, policy digest or
    expiry, and deliveries keep their lean insert and outbox path (and "audit rows == deliveries") untouched."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        TOKEN_REJECTED = "token_rejected", _("token rejected")
        SCOPE_REFUSED = "scope_refused", _("scope refused")
        POLICY_REFUSED = "policy_refused", _("policy refused")
        NO_POLICY = "no_policy", _("no policy")
        THROTTLED = "throttled", _("throttled")

    created = models.DateTimeField(verbose_name=_("created"), default=timezone.now, db_index=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The signed-in user's name, or the name a failed sign-in gave; empty when unknown (a rejected token).
    username = models.CharField(verbose_name=_("username"), max_length=150, blank=True, db_index=True)
    client_ip = models.GenericIPAddressField(verbose_name=_("client ip"), null=True, blank=True)
    # The reason as the signer states it when it refuses (English, like a log line): data, not interface text.
    reason = models.CharField(verbose_name=_("reason"), max_length=300)
    path = models.CharField(verbose_name=_("path"), max_length=200, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")

    def __str__(self) -> str:
        return f"{self.kind} {self.username or '-'} {self.client_ip or '-'}"


# Signing algorithms an identity provider may use: asymmetric only, so nothing the issuer publishes (its JWKS) can
# sign a token, and an HMAC "secret" can never be confused with a public key.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


STRINGS_NEEDED = {
    "audience": _("Give at least one audience, as a list of strings."),
    "algorithm": _("Give at least one algorithm, as a list of strings."),
    "value": _("Give at least one value, as a list of strings."),
}


def _default_algorithms() -> list[str]:
    return ["RS256", "ES256"]


def _validate_issuer(value: str) -> None:
    """https, or http on a loopback address (a development issuer); no query or fragment (OpenID Discovery)."""
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS)
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError(_("An issuer is an https URL without query or fragment (http only on loopback)."))


def _validate_strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise ValidationError(STRINGS_NEEDED.get(what, STRINGS_NEEDED["value"]))
    return value


class IdentityProvider(models.Model):
    """An OpenID Connect issuer whose ID tokens /sign and /sts accept as `Authorization: Bearer`.

    Each (issuer, subject) becomes one portal user named `<name>.<subject>`, created on first use, who gets `policy`
    plus the policies `policy_mapping` names for the values of `policy_claim` (e.g. a `groups` claim)."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=40,
        unique=True,
        help_text=_("Prefix of its users' names: <name>.<subject>."),
        # No dot: "a.b" + "c" and "a" + "b.c" would name the same user.
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", _("Letters, digits, '_' and '-' (no dot)."))],
    )
    issuer = models.CharField(
        verbose_name=_("issuer"),
        max_length=300,
        unique=True,
        validators=[_validate_issuer],
        help_text=_("The `iss` of its tokens, exactly."),
    )
    audiences = models.JSONField(
        verbose_name=_("audiences"),
        default=list,
        help_text=_('Accepted `aud` values (your apps\' client IDs), e.g. ["ios-app", "android-app"].'),
    )
    claim = models.CharField(
        verbose_name=_("claim"),
        max_length=100,
        default="sub",
        help_text=_("The claim that names the identity (default sub: stable, unique)."),
    )
    policy = models.ForeignKey(
        AccessPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The policy every identity of this provider gets."),
    )
    policy_claim = models.CharField(
        verbose_name=_("policy claim"),
        max_length=100,
        blank=True,
        help_text=_("A claim whose values choose further policies, e.g. groups."),
    )
    policy_mapping = models.JSONField(
        verbose_name=_("policy mapping"),
        default=dict,
        blank=True,
        help_text=_('Claim value -> policy name, e.g. {"admins": "bucket admin"}.'),
    )
    algorithms = models.JSONField(
        verbose_name=_("algorithms"),
        default=_default_algorithms,
        help_text=_('Allowed signing algorithms (asymmetric only), e.g. ["RS256", "ES256"].'),
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    created = models.DateTimeField(verbose_name=_("created"), auto_now_add=True)
    updated = models.DateTimeField(verbose_name=_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field, what in (("audiences", "audience"), ("algorithms", "algorithm")):
            try:
                _validate_strings(getattr(self, field), what)
            except ValidationError as exc:
                errors[field] = exc.messages[0]
        if "algorithms" not in errors:
            unknown = sorted(set(self.algorithms) - set(ID_TOKEN_ALGORITHMS))
            if unknown:
                allowed = ", ".join(ID_TOKEN_ALGORITHMS)
                errors["algorithms"] = _("Not allowed: %(unknown)s (asymmetric only: %(allowed)s).") % {
                    "unknown": ", ".join(unknown),
                    "allowed": allowed,
                }
        mapping_error = self._mapping_error()
        if mapping_error:
            errors["policy_mapping"] = mapping_error
        if errors:
            raise ValidationError(errors)

    def _mapping_error(self) -> str:
        mapping = self.policy_mapping
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            return str(_("A mapping of claim values to policy names."))
        if mapping and not self.policy_claim:
            return str(_("Name the claim (policy claim) whose values this maps."))
        known = AccessPolicy.objects.filter(name__in=mapping.values()).values_list("name", flat=True)
        missing = sorted(set(mapping.values()) - set(known))
        return str(_("No such policy: %(names)s.")) % {"names": ", ".join(missing)} if missing else ""


class Identity(models.Model):
    """One (issuer, subject): the portal user it signs in as, and the claims policies may use as `${jwt:<claim>}`."""

    provider = models.ForeignKey(
        IdentityProvider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="identities"
    )
    subject = models.CharField(verbose_name=_("subject"), max_length=64)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="identity"
    )
    is_active = models.BooleanField(
        verbose_name=_("is active"), default=True, help_text=_("Unticked: its ID tokens are refused.")
    )
    # Only safe literals (signer/identity/safety.py), refreshed from the token at each use.
    claims = models.JSONField(verbose_name=_("claims"), default=dict, blank=True)
    created = models.DateTimeField(verbose_name=_("created"), auto_now_add=True)
    last_used = models.DateTimeField(verbose_name=_("last used"), default=timezone.now)

    class Meta:
        ordering = ["provider", "subject"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="signer_identity_unique_subject")]

    def __str__(self) -> str:
        return f"{self.provider.name}.{self.subject}"


def identity_variables(user: AbstractBaseUser | AnonymousUser) -> dict[str, str]:
    """`jwt:<claim>` for each claim stored on the user's identity: what `${jwt:<claim>}` renders as (a password user
    has none). The Bearer authentication loads the identity with the user, so the request path makes no query."""
    try:
        identity: Identity = user.identity  # type: ignore[union-attr]
    except Identity.DoesNotExist:
        return {}
    return {f"jwt:{name}": value for name, value in identity.claims.items()}


class AccessRevocation(models.Model):
    """One cut-off: a user's cached credentials, API tokens and sessions ended at once (signer/revocation.py).

    Also the kill switch's audit: who was cut off, why, by whom, and until when what STS had already issued stays
    valid (STS has no revocation)."""

    created = models.DateTimeField(verbose_name=_("created"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(verbose_name=_("username"), max_length=150, db_index=True)
    # Why, as the one who cut the user off gave it (data, not interface text).
    reason = models.CharField(verbose_name=_("reason"), max_length=100)
    by = models.CharField(verbose_name=_("by"), max_length=150, blank=True)
    tokens_ended = models.PositiveIntegerField(verbose_name=_("tokens ended"), default=0)
    sessions_ended = models.PositiveIntegerField(verbose_name=_("sessions ended"), default=0)
    issued_valid_until = models.DateTimeField(
        verbose_name=_("issued valid until"),
        null=True,
        blank=True,
        help_text=_("When the last credential STS had already issued to this user expires."),
    )

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "-created"])]
        verbose_name = _("access revocation")
        verbose_name_plural = _("access revocations")

    def __str__(self) -> str:
        return f"{self.username}: {self.reason}"


class SignedInSession(models.Model):
    """Which sessions a user has signed in with, so that a cut-off can end them (Django keeps no such index)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, db_index=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} {self.created:%Y-%m-%d %H:%M}"


class ApiTokenInfo(models.Model):
    """What a person sees of one of their API tokens (knox's AuthToken): the name they gave it, when it was last
    used. Never the token itself (knox keeps only its hash)."""

    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="info")
    name = models.CharField(max_length=50)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
