"""Writes: issuing temporary credentials (cached, single-flight, audited), managing accounts, tokens and the audit."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from qcloud import policy as cam
from signer import audit, crypto, revocation, sts, tokens
from signer.credential_cache import credentials_cached, owner_of
from signer.errors import AccountInactive, PolicyUnusable, StsUnavailable
from signer.limits import LimitsError
from signer.logging import register_secret
from signer.memo import Memo
from signer.models import ANONYMOUS_USERNAME, AccessPolicy, CloudAccount, IssuedCredential, Refusal
from signer.scopes import Scope, bucket_hint, scopes_narrow
from signer.selectors import policy_for_user
from signer.throttling import sts_budget_take

logger = logging.getLogger(__name__)

TEST_POLICY: dict[str, Any] = {
    "version": "2.0",
    "statement": [{"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]}],
}


@dataclass(frozen=True)
class TemporaryCredentials:
    tmp_secret_id: str
    tmp_secret_key: str
    session_token: str
    start_time: int
    expired_time: int
    expiration: str  # ISO 8601, Z
    request_id: str
    region: str  # the account's default region
    appid: str
    bucket_hint: str | None
    served_from_cache: bool = False
    policy_name: str = ""
    policy: cam.Policy = dataclasses.field(default_factory=lambda: cam.Policy(statements=()))  # empty: allows nothing

    def __repr__(self) -> str:  # never print a secret
        return f"TemporaryCredentials(tmp_secret_id={self.tmp_secret_id!r}, expired_time={self.expired_time})"


def policy_digest(policy: cam.Policy) -> str:
    return hashlib.sha256(policy.to_json().encode()).hexdigest()


def credentials_issue(
    *,
    user: AbstractBaseUser | AnonymousUser,
    policy_name: str | None = None,
    scopes: Sequence[Scope] | None = None,
    client_ip: str | None = None,
    user_agent: str = "",
    policy_cache_version: str | None = None,
    audit_each_use: bool = True,
    revocation_epoch: str | None = None,
) -> TemporaryCredentials:
    """Temporary credentials for `user` under their policy (narrowed to `scopes` when given); cached and audited.

    `policy_cache_version`: the policy cache's version if the caller has just read it (the API reads it along with
    the throttle's count), which spares the policy lookup its own round trip; `revocation_epoch` the same for the
    user's epoch (signer/revocation.py). `audit_each_use=False` (the pages): one audit row per credential, user and
    address (signer.audit.first_page_use), not one per view.

    Every credential names one person: the cache holds one entry per user (anonymous callers share theirs) and policy
    (`policy_name` chooses one of the user's, the highest priority by default), and the STS session name carries the
    user's id and name, which is what COS and CloudAudit logs show."""
    access_policy = policy_for_user(user, policy_name, version=policy_cache_version)
    account = access_policy.account
    if not account.is_active:
        raise AccountInactive(
            format_lazy(_("the cloud account behind policy {policy} is disabled"), policy=repr(access_policy.name))
        )
    try:
        rendered, rendered_digest = _render(access_policy, user)
    except (cam.PolicyError, LimitsError) as exc:
        logger.error("policy %r cannot be rendered: %s", access_policy.name, exc)
        raise PolicyUnusable(
            format_lazy(_("policy {policy} cannot be used: {error}"), policy=repr(access_policy.name), error=exc)
        ) from None
    if scopes:
        final = scopes_narrow(rendered, list(scopes), policy_name=access_policy.name)
        digest = policy_digest(final)
    else:
        final, digest = rendered, rendered_digest
    duration = min(access_policy.duration, account.max_duration)
    if user.is_authenticated:
        username = user.get_username()
        owner = owner_of(user.pk, revocation.user_epoch(user.pk, read=revocation_epoch))
        session_name = f"{user.pk}-{username}"
    else:
        username = owner = session_name = ANONYMOUS_USERNAME
    budget = str(user.pk) if user.is_authenticated else f"ip:{client_ip or ''}"
    entry, from_cache = credentials_cached(
        account=account,
        policy_id=access_policy.pk,
        policy=final,
        digest=digest,
        duration=duration,
        username=session_name,
        owner=owner,
        before_sts=lambda: sts_budget_take(budget),
    )
    register_secret(entry.tmp_secret_key, entry.session_token)
    audit.record(
        first_page_use_only=not audit_each_use,
        user_id=user.pk if user.is_authenticated else None,
        username=username,
        policy_id=access_policy.pk,
        policy_name=access_policy.name,
        account_id=account.pk,
        scoped=bool(scopes),
        scope_digest=digest,
        scopes=[dataclasses.asdict(scope) for scope in scopes or []],
        tmp_secret_id=entry.tmp_secret_id,
        expired_time=datetime.fromtimestamp(entry.expired_time, tz=UTC),
        request_id=entry.request_id[:64],
        served_from_cache=from_cache,
        client_ip=client_ip or None,
        user_agent=(user_agent or "")[:300],
    )
    # A new credential is worth a line; an answer from the cache is one per request (an app may ask before every
    # upload), already an audit row and a cache-hit count in /metrics: DEBUG keeps the log readable and the cached path
    # free of a formatted, redacted line per request.
    logger.log(
        logging.DEBUG if from_cache else logging.INFO,
        "credentials %s for %s under policy %r (%s%s)",
        entry.tmp_secret_id,
        username,
        access_policy.name,
        "cached" if from_cache else "new from STS",
        f", {len(scopes)} scope(s)" if scopes else "",
    )
    return TemporaryCredentials(
        tmp_secret_id=entry.tmp_secret_id,
        tmp_secret_key=entry.tmp_secret_key,
        session_token=entry.session_token,
        start_time=entry.start_time,
        expired_time=entry.expired_time,
        expiration=entry.expiration,
        request_id=entry.request_id,
        region=account.default_region,
        appid=account.appid,
        bucket_hint=bucket_hint(final),
        served_from_cache=from_cache,
        policy_name=access_policy.name,
        policy=final,
    )


_rendered: Memo[tuple[Any, ...], tuple[cam.Policy, str]] = Memo(4096)


def render_memo_clear() -> None:
    """Forget the policies this worker has rendered."""
    _rendered.clear()


def _render(access_policy: AccessPolicy, user: AbstractBaseUser | AnonymousUser) -> tuple[cam.Policy, str]:
    """The user's rendered policy and its digest, remembered per worker (~0.1 ms of parsing and hashing saved).

    Keyed by everything the rendering reads: the policy row (its primary key and `updated`, which every save
    changes) and the variables (username, user id, appid). Policies are immutable, so sharing them is safe.
    """
    variables = access_policy.variables(user)
    key = (access_policy.pk, access_policy.updated, *sorted(variables.items()))
    hit = _rendered.get(key)
    if hit is not None:
        return hit
    rendered = access_policy.render_with(variables)
    value = (rendered, policy_digest(rendered))
    _rendered.put(key, value)
    return value


def account_create(
    *,
    name: str,
    appid: str,
    secret_id: str,
    secret_key: str,
    default_region: str = "ap-guangzhou",
    role_arn: str = "",
    is_active: bool = True,
) -> CloudAccount:
    account = CloudAccount(
        name=name,
        appid=appid,
        secret_id=secret_id,
        default_region=default_region,
        role_arn=role_arn,
        is_active=is_active,
    )
    account.secret_key = secret_key
    account.full_clean()
    account.save()
    return account


def account_set_secret(*, account: CloudAccount, secret_id: str | None = None, secret_key: str | None = None) -> None:
    if secret_id:
        account.secret_id = secret_id
    if secret_key:
        account.secret_key = secret_key
    account.save()


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    code: str
    message: str
    request_id: str


def account_test_connection(*, account: CloudAccount) -> ConnectionResult:
    """A real STS call with the account's keys and a harmless policy: success, or the STS error code."""
    try:
        result = sts.credentials_for_account(
            account=account, policy=cam.parse_policy(TEST_POLICY).to_dict(), duration=900, username="connection-test"
        )
    except sts.StsError as exc:
        return ConnectionResult(False, exc.code, exc.message, exc.request_id)
    except StsUnavailable as exc:
        return ConnectionResult(False, "StsUnavailable", str(exc), "")
    except crypto.SecretsKeyError as exc:
        return ConnectionResult(False, "SecretUnreadable", str(exc), "")
    register_secret(result.tmp_secret_key, result.session_token)
    return ConnectionResult(True, "Success", "STS issued temporary credentials with these keys", result.request_id)


def secrets_rotate() -> int:
    """Re-encrypt every stored SecretKey with the first key of PORTAL_SECRETS_KEYS; the number of rows rewritten."""
    count = 0
    with transaction.atomic():
        for account in CloudAccount.objects.select_for_update().order_by("pk"):
            account.secret_key_encrypted = crypto.rotate(account.secret_key_encrypted)
            account.save(update_fields=["secret_key_encrypted", "updated"])
            count += 1
    return count


def audit_prune(*, days: int) -> int:
    """Delete audit rows older than `days` days, deliveries (rows waiting in the outbox included) and refusals;
    the number deleted."""
    if days < 0:
        raise ValueError("days must be zero or more")
    audit.drain()
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IssuedCredential.objects.filter(created__lt=cutoff).delete()
    refused, _ = Refusal.objects.filter(created__lt=cutoff).delete()
    return deleted + refused


def token_create(
    *, user: AbstractBaseUser, name: str = "", hours: int | None = None, retire_oldest: bool = True
) -> tuple[str, datetime | None]:
    """A knox token (hashed at rest) for an app; the plaintext is returned once, with its expiry (signer/tokens.py:
    named, a lifetime up to SIGNER_TOKEN_TTL_HOURS, at most SIGNER_TOKEN_LIMIT_PER_USER at once: the oldest are
    retired, or with `retire_oldest=False` TokenLimitReached)."""
    return tokens.token_create(user=user, name=name, hours=hours, retire_oldest=retire_oldest)


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


__all__ = [
    "ConnectionResult",
    "TemporaryCredentials",
    "account_create",
    "account_set_secret",
    "account_test_connection",
    "audit_prune",
    "bucket_hint",
    "credentials_issue",
    "policy_digest",
    "secrets_rotate",
    "token_create",
    "token_revoke",
]
