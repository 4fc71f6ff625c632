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
from signer import audit, crypto, metrics, revocation, sts, tokens
from signer.credential_cache import CacheEntry, credentials_cached, entry_key, owner_of
from signer.credential_cache import in_worker as credential_in_worker
from signer.errors import AccountInactive, PolicyUnusable, SignerError, StsUnavailable
from signer.limits import LimitsError
from signer.logging import register_secret
from signer.memo import Memo
from signer.models import ANONYMOUS_USERNAME, AccessPolicy, CloudAccount, IssuedCredential, Refusal
from signer.policy_cache import POLICY_VERSION_KEY
from signer.scopes import Scope, bucket_hint, scopes_narrow
from signer.selectors import policy_for_user, policy_remembered
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


@dataclass(frozen=True)
class _Resolved:
    """What an answer is made of before the credential: the policy, as rendered (and narrowed) for the user."""

    access_policy: AccessPolicy
    final: cam.Policy
    digest: str
    duration: int


def _resolve(
    user: AbstractBaseUser | AnonymousUser,
    access_policy: AccessPolicy,
    scopes: Sequence[Scope] | None,
    *,
    log_errors: bool = True,
) -> _Resolved:
    account = access_policy.account
    if not account.is_active:
        raise AccountInactive(
            format_lazy(_("the cloud account behind policy {policy} is disabled"), policy=repr(access_policy.name))
        )
    try:
        rendered, rendered_digest = _render(access_policy, user)
    except (cam.PolicyError, LimitsError) as exc:
        if log_errors:
            logger.error("policy %r cannot be rendered: %s", access_policy.name, exc)
        raise PolicyUnusable(
            format_lazy(_("policy {policy} cannot be used: {error}"), policy=repr(access_policy.name), error=exc)
        ) from None
    if scopes:
        final = scopes_narrow(rendered, list(scopes), policy_name=access_policy.name)
        digest = policy_digest(final)
    else:
        final, digest = rendered, rendered_digest
    return _Resolved(access_policy, final, digest, min(access_policy.duration, account.max_duration))


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
    resolved = _resolve(user, policy_for_user(user, policy_name, version=policy_cache_version), scopes)
    access_policy, account = resolved.access_policy, resolved.access_policy.account
    if user.is_authenticated:
        owner = owner_of(user.pk, revocation.user_epoch(user.pk, read=revocation_epoch))
        session_name = f"{user.pk}-{user.get_username()}"
    else:
        owner = session_name = ANONYMOUS_USERNAME
    budget = str(user.pk) if user.is_authenticated else f"ip:{client_ip or ''}"
    entry, from_cache = credentials_cached(
        account=account,
        policy_id=access_policy.pk,
        policy=resolved.final,
        digest=resolved.digest,
        duration=resolved.duration,
        username=session_name,
        owner=owner,
        before_sts=lambda: sts_budget_take(budget),
    )
    register_secret(entry.tmp_secret_key, entry.session_token)
    audit.record(
        first_page_use_only=not audit_each_use,
        **_audit_values(user, resolved, entry, from_cache, scopes, client_ip, user_agent),
    )
    answer = _answer(resolved, entry, from_cache)
    _log_delivery(answer, user, scopes)
    return answer


@dataclass(frozen=True)
class Remembered:
    """An answer this worker can give from its memory alone, and what it assumed: `expect` (cache key -> value) holds
    the policy cache version and the user's revocation epoch it was resolved under. It may be given only once the
    shared cache is seen to hold the same, and with its audit row (`audit_row`, an outbox entry) written: the API's
    throttle does both in the round trip it makes anyway (signer/throttling.py), then `credentials_remembered_given`."""

    credentials: TemporaryCredentials
    audit_row: bytes
    expect: dict[str, str]
    scopes: Sequence[Scope] | None
    user: AbstractBaseUser


def credentials_remembered(
    *,
    user: AbstractBaseUser | AnonymousUser,
    policy_name: str | None = None,
    scopes: Sequence[Scope] | None = None,
    client_ip: str | None = None,
    user_agent: str = "",
) -> Remembered | None:
    """What `credentials_issue` would answer from a credential this worker holds, with no I/O; None when anything
    it needs is not in the worker's memory, when the answer would be an error (credentials_issue then raises it), or
    when the audit does not go through the Redis outbox.

    A cached /sign otherwise makes two Redis round trips after knox's queries (the throttle's script, then the audit
    row's RPUSH): a remembered answer makes one."""
    if not (user.is_authenticated and audit.outbox_enabled()):
        return None
    found = policy_remembered(user, policy_name)
    epoch = revocation.epoch_seen(user.pk)
    if found is None or epoch is None:
        return None
    access_policy, version = found
    try:
        resolved = _resolve(user, access_policy, scopes, log_errors=False)
    except SignerError:
        return None  # credentials_issue raises it (and logs it) once the request is counted
    key = entry_key(
        account=access_policy.account,
        owner=owner_of(user.pk, epoch),
        policy_id=access_policy.pk,
        digest=resolved.digest,
        duration=resolved.duration,
    )
    entry = credential_in_worker(key, resolved.duration)
    if entry is None:
        return None
    row = audit.outbox_row(**_audit_values(user, resolved, entry, True, scopes, client_ip, user_agent))
    expect = {POLICY_VERSION_KEY: version, revocation.epoch_key(user.pk): epoch}
    return Remembered(_answer(resolved, entry, True), row, expect, scopes, user)


def credentials_remembered_given(remembered: Remembered) -> TemporaryCredentials:
    """`remembered` is being given: its audit row is in the outbox (the throttle's script wrote it)."""
    answer = remembered.credentials
    metrics.cache_hit("memo")
    register_secret(answer.tmp_secret_key, answer.session_token)
    audit.outbox_pushed()
    _log_delivery(answer, remembered.user, remembered.scopes)
    return answer


def _audit_values(
    user: AbstractBaseUser | AnonymousUser,
    resolved: _Resolved,
    entry: CacheEntry,
    from_cache: bool,
    scopes: Sequence[Scope] | None,
    client_ip: str | None,
    user_agent: str,
) -> dict[str, Any]:
    access_policy = resolved.access_policy
    return {
        "user_id": user.pk if user.is_authenticated else None,
        "username": user.get_username() if user.is_authenticated else ANONYMOUS_USERNAME,
        "policy_id": access_policy.pk,
        "policy_name": access_policy.name,
        "account_id": access_policy.account.pk,
        "scoped": bool(scopes),
        "scope_digest": resolved.digest,
        "scopes": [dataclasses.asdict(scope) for scope in scopes or []],
        "tmp_secret_id": entry.tmp_secret_id,
        "expired_time": datetime.fromtimestamp(entry.expired_time, tz=UTC),
        "request_id": entry.request_id[:64],
        "served_from_cache": from_cache,
        "client_ip": client_ip or None,
        "user_agent": (user_agent or "")[:300],
    }


def _answer(resolved: _Resolved, entry: CacheEntry, from_cache: bool) -> TemporaryCredentials:
    account = resolved.access_policy.account
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
        bucket_hint=bucket_hint(resolved.final),
        served_from_cache=from_cache,
        policy_name=resolved.access_policy.name,
        policy=resolved.final,
    )


def _log_delivery(
    answer: TemporaryCredentials, user: AbstractBaseUser | AnonymousUser, scopes: Sequence[Scope] | None
) -> None:
    # A new credential is worth a line; an answer from the cache is one per request (an app may ask before every
    # upload), already an audit row and a cache-hit count in /metrics: DEBUG keeps the log readable and the cached path
    # free of a formatted, redacted line per request.
    logger.log(
        logging.DEBUG if answer.served_from_cache else logging.INFO,
        "credentials %s for %s under policy %r (%s%s)",
        answer.tmp_secret_id,
        user.get_username() if user.is_authenticated else ANONYMOUS_USERNAME,
        answer.policy_name,
        "cached" if answer.served_from_cache else "new from STS",
        f", {len(scopes)} scope(s)" if scopes else "",
    )


_rendered: Memo[tuple[Any, ...], tuple[cam.Policy, str]] = Memo(4096)
# Whether a policy row (primary key, `updated`) names ${jwt:...}: finding out serializes its statements.
_uses_identity: Memo[tuple[Any, ...], bool] = Memo(4096)


def render_memo_clear() -> None:
    """Forget the policies this worker has rendered."""
    _rendered.clear()
    _uses_identity.clear()


def _render(access_policy: AccessPolicy, user: AbstractBaseUser | AnonymousUser) -> tuple[cam.Policy, str]:
    """The user's rendered policy and its digest, remembered per worker (~0.1 ms of parsing and hashing saved).

    Keyed by everything the rendering reads: the policy row (its primary key and `updated`, which every save
    changes) and the variables (username, user id, appid, and the identity's claims if the row uses them).
    Policies are immutable, so sharing them is safe.
    """
    row = (access_policy.pk, access_policy.updated)
    identity = _uses_identity.get(row)
    if identity is None:
        identity = access_policy.uses_identity_variables()
        _uses_identity.put(row, identity)
    variables = access_policy.variables(user, identity=identity)
    key = (*row, *sorted(variables.items()))
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
    "Remembered",
    "TemporaryCredentials",
    "account_create",
    "account_set_secret",
    "account_test_connection",
    "audit_prune",
    "bucket_hint",
    "credentials_issue",
    "credentials_remembered",
    "credentials_remembered_given",
    "policy_digest",
    "secrets_rotate",
    "token_create",
    "token_revoke",
]
