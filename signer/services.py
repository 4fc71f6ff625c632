"""Writes: issuing temporary credentials (cached, single-flight, audited), managing accounts, tokens and the audit."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from qcloud import policy as cam
from qcloud.buckets import BucketNameError, split_bucket
from qcloud.operations import OPERATIONS, resources_for
from qcloud.regions import is_region
from signer import audit, crypto, sts
from signer.errors import (
    AccountInactive,
    InvalidScope,
    NoPolicy,
    PolicyUnusable,
    ScopeNotAllowed,
    SignerError,
    StsFailed,
    StsUnavailable,
)
from signer.limits import LimitsError
from signer.logging import register_secret
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from signer.selectors import policies_for_user, policy_for_user

logger = logging.getLogger(__name__)

CACHE_PREFIX = "signer:cred"
MIN_MARGIN = 300
MAX_SCOPES = 100
POLL_INTERVAL = 0.02
# How long a failed STS call is remembered for its cache entry, so that a burst does not repeat it.
FAILURE_MEMORY = 3.0
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


@dataclass(frozen=True)
class Scope:
    """One entry of cos-js-sdk-v5's getAuthorization `Scope`: what a single request is about to do."""

    action: str  # "name/cos:PutObject"
    bucket: str  # full name, "demo-1250000000"
    region: str
    prefix: str  # the object key, or the listing prefix

    def describe(self) -> str:
        return f"{self.action} on {self.bucket}/{self.prefix} in {self.region}"


@dataclass(frozen=True)
class _Entry:
    """What the credential cache holds (encrypted, since it contains the temporary secret key and token)."""

    tmp_secret_id: str
    tmp_secret_key: str
    session_token: str
    start_time: int
    expired_time: int
    expiration: str
    request_id: str

    def dump(self) -> str:
        return crypto.encrypt(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def load(cls, value: Any) -> _Entry | None:
        if not isinstance(value, str):
            return None
        try:
            return cls(**json.loads(crypto.decrypt(value)))
        except (crypto.SecretsKeyError, ValueError, TypeError):
            return None  # written with a key since dropped, or by another version: treat as absent


# --------------------------------------------------------------------------------------------------- credentials


def margin_for(duration: int) -> int:
    """How long before expiry a cached credential stops being handed out: max(300 s, 20 % of the duration)."""
    return max(MIN_MARGIN, duration // 5)


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
) -> TemporaryCredentials:
    """Temporary credentials for `user` under their policy (narrowed to `scopes` when given); cached and audited.

    `policy_cache_version`: the policy cache's version if the caller has just read it (the API reads it along with
    the throttle's count), which spares the policy lookup its own round trip."""
    access_policy = policy_for_user(user, policy_name, version=policy_cache_version)
    account = access_policy.account
    if not account.is_active:
        raise AccountInactive(f"the cloud account behind policy {access_policy.name!r} is disabled")
    try:
        rendered, rendered_digest = _render(access_policy, user)
    except (cam.PolicyError, LimitsError) as exc:
        logger.error("policy %r cannot be rendered: %s", access_policy.name, exc)
        raise PolicyUnusable(f"policy {access_policy.name!r} cannot be used: {exc}") from None
    if scopes:
        final = scopes_narrow(rendered, list(scopes), policy_name=access_policy.name)
        digest = policy_digest(final)
    else:
        final, digest = rendered, rendered_digest
    duration = min(access_policy.duration, account.max_duration)
    username = user.get_username() if user.is_authenticated else "anonymous"
    entry, from_cache = _obtain(account=account, policy=final, digest=digest, duration=duration, username=username)
    register_secret(entry.tmp_secret_key, entry.session_token)
    audit.record(
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
    logger.info(
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


_RENDER_MEMO_SIZE = 4096
_rendered: OrderedDict[tuple[Any, ...], tuple[cam.Policy, str]] = OrderedDict()
_rendered_lock = threading.Lock()


def _render(access_policy: AccessPolicy, user: AbstractBaseUser | AnonymousUser) -> tuple[cam.Policy, str]:
    """The user's rendered policy and its digest, remembered per worker (~0.1 ms of parsing and hashing saved).

    Keyed by everything the rendering reads: the policy row (its primary key and `updated`, which every save
    changes) and the variables (username, user id, appid). Policies are immutable, so sharing them is safe.
    """
    variables = access_policy.variables(user)
    key = (access_policy.pk, access_policy.updated, *sorted(variables.items()))
    with _rendered_lock:
        hit = _rendered.get(key)
    if hit is not None:
        return hit
    rendered = access_policy.render_with(variables)
    value = (rendered, policy_digest(rendered))
    with _rendered_lock:
        _rendered[key] = value
        while len(_rendered) > _RENDER_MEMO_SIZE:
            _rendered.popitem(last=False)
    return value


# A worker's memo of decrypted credential cache entries: a hit spares the shared-cache GET and the Fernet decrypt.
# An entry is used only while the shared one would be (until its expiry minus the margin); refreshing past the
# margin still goes through the shared cache and its cross-process single flight.
_memo: OrderedDict[str, _Entry] = OrderedDict()
_memo_lock = threading.Lock()
MEMO_SIZE = 4096


def credential_memo_clear() -> None:
    """Forget what this worker remembers (decrypted credentials, rendered policies)."""
    with _memo_lock:
        _memo.clear()
    with _rendered_lock:
        _rendered.clear()


def _memo_get(key: str) -> _Entry | None:
    with _memo_lock:
        entry = _memo.get(key)
        if entry is not None:
            _memo.move_to_end(key)
        return entry


def _memo_put(key: str, entry: _Entry) -> None:
    with _memo_lock:
        _memo[key] = entry
        _memo.move_to_end(key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)


def bucket_hint(policy: cam.Policy) -> str | None:
    """The first concrete bucket an allow statement names, for clients that want a sensible default."""
    for statement in policy.statements:
        if statement.effect != "allow":
            continue
        for resource in statement.resources:
            parts = resource.split(":", 5)
            if len(parts) == 6 and parts[2] == "cos":
                bucket = parts[5].split("/", 1)[0]
                if bucket and "*" not in bucket and "$" not in bucket:
                    return bucket
    return None


def _call_sts(*, account: CloudAccount, policy: cam.Policy, duration: int, username: str) -> sts.StsCredentials:
    common = {
        "secret_id": account.secret_id,
        "secret_key": account.secret_key,
        "region": account.default_region,
        "policy": policy.to_dict(),
        "duration": duration,
    }
    if account.role_arn:
        return sts.assume_role(role_arn=account.role_arn, session_name=f"portal-{username}", **common)
    return sts.get_federation_token(name=f"portal-{username}", **common)


def _obtain(
    *, account: CloudAccount, policy: cam.Policy, digest: str, duration: int, username: str
) -> tuple[_Entry, bool]:
    """Cached credentials for (account, policy, duration), or fresh ones from STS with one call per cold entry.

    Single flight: whoever adds the lock key (an atomic add on every cache backend, so across processes with Redis)
    calls STS; the others poll the cache for the result. A failure is published for the waiters so that they do not
    each retry a failing STS in turn. When STS is down, a cached credential that has not expired is served even past
    the margin.
    """
    key = f"{CACHE_PREFIX}:{account.pk}:{digest}:{duration}"
    lock_key = f"{key}:lock"
    margin = margin_for(duration)
    started = time.time()
    remembered = _memo_get(key)
    if remembered is not None and started < remembered.expired_time - margin:
        return remembered, True
    cached = _Entry.load(cache.get(key))
    if cached is not None and started < cached.expired_time - margin:
        _memo_put(key, cached)
        return cached, True
    stale = cached
    failed_key = f"{key}:failed"
    # A change to the account (new keys) makes an earlier failure irrelevant at once.
    version = f"{account.updated.timestamp() if account.updated else 0}"

    def usable(entry: _Entry | None) -> bool:
        now = time.time()
        return (
            entry is not None
            and now < entry.expired_time
            and (entry.start_time >= int(started) - 1 or now < entry.expired_time - margin)
        )

    def fallback(reason: str) -> tuple[_Entry, bool]:
        if stale is not None and time.time() < stale.expired_time:
            logger.warning("STS unavailable (%s): serving a cached credential until it expires", reason)
            return stale, True
        raise StsUnavailable(f"STS is unavailable ({reason}) and no cached credential is valid; try again shortly")

    def published(failure: Any) -> tuple[_Entry, bool] | None:
        """Act on a failure another request published: serve the stale credential, or raise."""
        if not isinstance(failure, dict):
            return None
        if "unavailable" in failure:
            return fallback(str(failure["unavailable"]))
        raise StsFailed(str(failure["code"]), str(failure["message"]), str(failure.get("request_id", "")))

    def failed_recently(recent: Any) -> tuple[_Entry, bool] | None:
        """STS failed for this entry a moment ago: answer the same without calling it again (rate limits, timeouts)."""
        if isinstance(recent, dict) and recent.get("version") == version and started - recent["at"] < FAILURE_MEMORY:
            return published(recent)
        return None

    outcome = failed_recently(cache.get(failed_key))
    if outcome is not None:
        return outcome

    wait_limit = float(settings.STS_TIMEOUT) * 2 + 2

    def publish(lock_id: str, failure: dict[str, Any]) -> None:
        cache.set_many(
            {f"{key}:err:{lock_id}": failure, failed_key: {**failure, "at": time.time(), "version": version}},
            timeout=int(wait_limit) + 5,
        )

    deadline = time.perf_counter() + wait_limit
    while True:
        lock_id = uuid.uuid4().hex
        if cache.add(lock_key, lock_id, timeout=int(wait_limit) + 5):
            try:
                # The previous leader may have finished between our look and our lock: its result, or its failure.
                values = cache.get_many([key, failed_key])
                landed = _Entry.load(values.get(key))
                if landed is not None and usable(landed):
                    return landed, True
                outcome = failed_recently(values.get(failed_key))
                if outcome is not None:
                    return outcome
                try:
                    fresh = _call_sts(account=account, policy=policy, duration=duration, username=username)
                except sts.StsUnavailable as exc:
                    publish(lock_id, {"unavailable": str(exc)})
                    return fallback(str(exc))
                except sts.StsError as exc:
                    publish(lock_id, {"code": exc.code, "message": exc.message, "request_id": exc.request_id})
                    raise StsFailed(exc.code, exc.message, exc.request_id) from None
                register_secret(fresh.tmp_secret_key, fresh.session_token)
                entry = _Entry(
                    tmp_secret_id=fresh.tmp_secret_id,
                    tmp_secret_key=fresh.tmp_secret_key,
                    session_token=fresh.session_token,
                    start_time=int(time.time()),
                    expired_time=fresh.expired_time,
                    expiration=fresh.expiration,
                    request_id=fresh.request_id,
                )
                ttl = entry.expired_time - int(time.time())
                if ttl > 0:
                    cache.set(key, entry.dump(), timeout=ttl)
                    _memo_put(key, entry)
                cache.delete(failed_key)
                return entry, False
            finally:
                if cache.get(lock_key) == lock_id:
                    cache.delete(lock_key)
        # Someone else is calling STS: wait for their result.
        holder = cache.get(lock_key)
        while holder is not None:
            if time.perf_counter() > deadline:
                return fallback("timed out waiting for another request's STS call")
            values = cache.get_many([key, lock_key, f"{key}:err:{holder}"])
            landed = _Entry.load(values.get(key))
            if landed is not None and usable(landed):
                return landed, True
            outcome = published(values.get(f"{key}:err:{holder}"))
            if outcome is not None:
                return outcome
            if values.get(lock_key) != holder:
                break  # released without a result we can use, or taken over: try to lead
            time.sleep(POLL_INTERVAL)
        if time.perf_counter() > deadline:
            return fallback("timed out waiting for another request's STS call")


# --------------------------------------------------------------------------------------------------------- scopes

_ACTION_PREFIX = "name/cos:"


def scope_validate(scope: Scope) -> None:
    """InvalidScope (400) for a scope that is not shaped like one cos-js-sdk-v5 sends."""
    where = f"scope {{{scope.describe()}}}"
    if not scope.action.startswith(_ACTION_PREFIX) or not scope.action[len(_ACTION_PREFIX) :].isalpha():
        raise InvalidScope(f"{where}: action must look like 'name/cos:PutObject', got {scope.action!r}")
    operation = scope.action[len(_ACTION_PREFIX) :]
    if operation == "GetService":
        return
    try:
        split_bucket(scope.bucket)
    except BucketNameError as exc:
        raise InvalidScope(f"{where}: bucket: {exc}") from None
    if not is_region(scope.region):
        raise InvalidScope(f"{where}: unknown region {scope.region!r}")
    if OPERATIONS.get(operation) == "object" and not scope.prefix:
        raise InvalidScope(f"{where}: {operation} needs the object key in 'prefix'")


def _scope_resources(scope: Scope) -> tuple[list[str], list[str]]:
    """(resources the user's policy is checked against, resources the issued policy grants)."""
    operation = scope.action[len(_ACTION_PREFIX) :]
    if operation == "GetService":
        return ["*"], ["*"]
    _, appid = split_bucket(scope.bucket)
    level = OPERATIONS.get(operation) or ("object" if scope.prefix else "bucket")
    if level == "service":
        return ["*"], ["*"]
    bucket_resource = cam.resource_name(scope.region, appid, scope.bucket, "")
    if level == "object":
        resource = cam.resource_name(scope.region, appid, scope.bucket, scope.prefix)
        return [resource], [resource]
    if operation in OPERATIONS:
        checked = resources_for(
            operation, region=scope.region, appid=appid, bucket=scope.bucket, key="", prefix=scope.prefix
        )
    else:
        checked = [bucket_resource]
    granted = cam.resource_name(scope.region, appid, scope.bucket, scope.prefix) if len(checked) > 1 else checked[0]
    return checked, [granted]


def scopes_narrow(policy: cam.Policy, scopes: list[Scope], *, policy_name: str) -> cam.Policy:
    """The policy that allows exactly `scopes`, each of which `policy` must allow (else ScopeNotAllowed).

    Scopes are checked without request context: an allow statement with conditions counts (its conditions travel
    into the issued statement, so COS still enforces them), a deny with conditions is kept as it is.
    """
    if len(scopes) > MAX_SCOPES:
        raise InvalidScope(f"at most {MAX_SCOPES} scopes may be requested at once, got {len(scopes)}")
    unconditional = cam.Policy(
        statements=tuple(dataclasses.replace(s, conditions=()) if s.effect == "allow" else s for s in policy.statements)
    )
    granted: dict[tuple[tuple[str, ...], tuple[cam.Condition, ...]], list[str]] = {}
    for index, scope in enumerate(scopes):
        scope_validate(scope)
        checked, resources = _scope_resources(scope)
        decision = cam.evaluate(unconditional, scope.action, checked)
        if not decision.allowed or decision.statement is None:
            raise ScopeNotAllowed(
                f"scope {index + 1} ({scope.describe()}) is not allowed by your policy {policy_name!r}"
            )
        conditions = policy.statements[decision.statement].conditions
        actions = granted.setdefault((tuple(resources), conditions), [])
        if scope.action not in actions:
            actions.append(scope.action)
    statements = [
        cam.Statement(effect="allow", actions=tuple(actions), resources=resources, conditions=conditions)
        for (resources, conditions), actions in granted.items()
    ]
    statements.extend(s for s in policy.statements if s.effect == "deny")
    return cam.Policy(statements=tuple(statements))


# ------------------------------------------------------------------------------------------------------ accounts


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
        result = _call_sts(
            account=account, policy=cam.parse_policy(TEST_POLICY), duration=900, username="connection-test"
        )
    except sts.StsError as exc:
        return ConnectionResult(False, exc.code, exc.message, exc.request_id)
    except sts.StsUnavailable as exc:
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
    """Delete audit rows older than `days` days (rows waiting in the outbox included); the number deleted."""
    if days < 0:
        raise ValueError("days must be zero or more")
    audit.drain()
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IssuedCredential.objects.filter(created__lt=cutoff).delete()
    return deleted


# -------------------------------------------------------------------------------------------------------- tokens


def token_create(*, user: AbstractBaseUser) -> tuple[str, datetime | None]:
    """A knox token (hashed at rest) for an app; the plaintext is returned once, with its expiry."""
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


# --------------------------------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class Simulation:
    decision: cam.Decision
    policy: AccessPolicy
    rendered: cam.Policy
    action: str
    resources: list[str]


def policy_simulate(
    *,
    user: AbstractBaseUser,
    action: str,
    region: str,
    bucket: str,
    key: str = "",
    access_policy: AccessPolicy | None = None,
    context: cam.RequestContext | None = None,
) -> Simulation:
    """What a policy decides for one request by `user` (the admin's policy simulator).

    `access_policy` defaults to the user's default policy; any policy may be tried, assigned to the user or not.
    """
    if access_policy is None:
        assigned = policies_for_user(user)
        if not assigned:
            raise NoPolicy(f"{user.get_username()} has no access policy (directly or through a group)")
        access_policy = assigned[0]
    rendered = access_policy.render(user)
    scope = Scope(action=action, bucket=bucket, region=region, prefix=key)
    if action == "name/cos:GetService":
        resources = ["*"]
    else:
        scope_validate(scope)
        resources, _ = _scope_resources(scope)
    decision = cam.evaluate(rendered, action, resources, context)
    return Simulation(decision, access_policy, rendered, action, resources)


__all__ = [
    "ConnectionResult",
    "Scope",
    "SignerError",
    "Simulation",
    "TemporaryCredentials",
    "account_create",
    "account_set_secret",
    "account_test_connection",
    "audit_prune",
    "credentials_issue",
    "policy_simulate",
    "scopes_narrow",
    "secrets_rotate",
    "token_create",
    "token_revoke",
]
