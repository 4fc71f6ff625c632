"""The credential cache: temporary credentials reused while they are valid, with one STS call per cold entry.

An entry is keyed by (account and its configuration version, owner, access policy, policy digest, duration) and stored
encrypted in the shared cache (it holds the temporary secret key and token) until it expires; it is handed out until
its expiry minus a margin. The access policy is part of the key even where two render alike: a person choosing one of
their policies gets a credential of that policy's own, audited under it. A worker also remembers the entries it has
decrypted: a hit spares the shared-cache GET and the Fernet decrypt, and is used only while the shared entry would
be, so refreshing past the margin still goes through the shared cache and its cross-process single flight
(`SingleFlight`). When STS is down, a credential that has not expired is served even past the margin.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from qcloud import policy as cam
from signer import crypto, metrics, sts
from signer.errors import StsFailed, StsUnavailable
from signer.logging import register_secret
from signer.memo import Memo
from signer.models import CloudAccount

logger = logging.getLogger(__name__)

CACHE_PREFIX = "signer:cred"
MIN_MARGIN = 300
POLL_INTERVAL = 0.02
# How long a failed STS call is remembered for its cache entry, so that a burst does not repeat it.
FAILURE_MEMORY = 3.0
MEMO_SIZE = 4096
_TIMED_OUT = "timed out waiting for another request's STS call"


@dataclass(frozen=True)
class CacheEntry:
    """What the credential cache holds (encrypted, since it contains the temporary secret key and token)."""

    tmp_secret_id: str
    tmp_secret_key: str
    session_token: str
    start_time: int
    expired_time: int
    expiration: str
    request_id: str

    def __repr__(self) -> str:  # never print a secret
        return f"CacheEntry(tmp_secret_id={self.tmp_secret_id!r}, expired_time={self.expired_time})"

    def dump(self) -> str:
        return crypto.encrypt(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def load(cls, value: Any) -> CacheEntry | None:
        if not isinstance(value, str):
            return None
        try:
            return cls(**json.loads(crypto.decrypt(value)))
        except (crypto.SecretsKeyError, ValueError, TypeError):
            return None  # written with a key since dropped, or by another version: treat as absent


_memo: Memo[str, CacheEntry] = Memo(MEMO_SIZE)


def credential_memo_clear() -> None:
    """Forget the credentials this worker has decrypted."""
    _memo.clear()


def margin_for(duration: int) -> int:
    """How long before expiry a cached credential stops being handed out: max(300 s, 20 % of the duration)."""
    return max(MIN_MARGIN, duration // 5)


def owner_of(user_id: int, epoch: str) -> str:
    """The owner part of a user's entry: the user and their revocation epoch (a cut-off changes it)."""
    return f"u{user_id}@{epoch}"


def entry_key(*, account: CloudAccount, owner: str, policy_id: int, digest: str, duration: int) -> str:
    """Where one owner's credential for (account configuration, access policy and its rendering, duration) is cached."""
    return f"{CACHE_PREFIX}:{account.pk}.{account.config_version}:{owner}:p{policy_id}:{digest}:{duration}"


def in_worker(key: str, duration: int, *, now: float | None = None) -> CacheEntry | None:
    """The entry under `key` (entry_key) this worker remembers, if it is still to be handed out (inside its margin)."""
    remembered = _memo.get(key)
    now = time.time() if now is None else now
    return remembered if remembered is not None and now < remembered.expired_time - margin_for(duration) else None


def credentials_cached(
    *,
    account: CloudAccount,
    policy_id: int,
    policy: cam.Policy,
    digest: str,
    duration: int,
    username: str,
    owner: str = "",
    before_sts: Callable[[], None] | None = None,
) -> tuple[CacheEntry, bool]:
    """Cached credentials for (account, policy, duration, owner), or fresh ones from STS; and whether they were cached.

    `policy_id` is the access policy `policy` was rendered from (and narrowed, if it was); `digest` identifies `policy`
    (its SHA-256); `username` names the STS session; `owner` whose entry it is (one
    person's, and their revocation epoch: signer/revocation.py); `before_sts` runs just before this request calls
    STS itself (never for an answer from the cache or from another request's call), and may raise to refuse it (the
    per-user budget of new STS calls). The account's configuration version is part of the key: nothing minted under
    its old keys or role is handed out again."""
    key = entry_key(account=account, owner=owner, policy_id=policy_id, digest=digest, duration=duration)
    margin = margin_for(duration)
    started = time.time()
    remembered = in_worker(key, duration, now=started)
    if remembered is not None:
        metrics.cache_hit("memo")
        return remembered, True
    cached = CacheEntry.load(cache.get(key))
    if cached is not None and started < cached.expired_time - margin:
        _memo.put(key, cached)
        metrics.cache_hit("shared")
        return cached, True
    metrics.cache_missed()
    flight = SingleFlight(
        key=key,
        account=account,
        policy=policy,
        duration=duration,
        username=username,
        started=started,
        stale=cached,
        before_sts=before_sts,
    )
    return flight.run()


class SingleFlight:
    """How one request gets credentials for a cold (or aging) cache entry, with one STS call among all requests.

    Whoever adds the lock key (an atomic add on every cache backend, so across processes with Redis) leads: it calls
    STS and publishes the result, or the failure, so that the waiters do not each retry a failing STS in turn. The
    others wait: they poll the cache for the leader's result, and lead themselves if the lock is released without
    one. When STS is unavailable, or the leader takes too long, everyone falls back to the stale credential while it
    has not expired.
    """

    def __init__(
        self,
        *,
        key: str,
        account: CloudAccount,
        policy: cam.Policy,
        duration: int,
        username: str,
        started: float,
        stale: CacheEntry | None,
        before_sts: Callable[[], None] | None = None,
    ) -> None:
        self.key = key
        self.before_sts = before_sts
        self.lock_key = f"{key}:lock"
        self.failed_key = f"{key}:failed"
        self.account = account
        self.policy = policy
        self.duration = duration
        self.username = username
        self.margin = margin_for(duration)
        self.started = started
        self.stale = stale
        # A change to the account (new keys) makes an earlier failure irrelevant at once.
        self.version = f"{account.updated.timestamp() if account.updated else 0}"
        self.wait_limit = float(settings.STS_TIMEOUT) * 2 + 2
        self.lock_timeout = int(self.wait_limit) + 5
        self.deadline = time.perf_counter() + self.wait_limit

    def run(self) -> tuple[CacheEntry, bool]:
        outcome = self._failed_recently(cache.get(self.failed_key))
        if outcome is not None:
            return outcome
        while True:
            lock_id = uuid.uuid4().hex
            if cache.add(self.lock_key, lock_id, timeout=self.lock_timeout):
                return self.lead(lock_id)
            outcome = self.wait()
            if outcome is not None:
                return outcome
            if time.perf_counter() > self.deadline:
                return self.fall_back(_TIMED_OUT)

    def lead(self, lock_id: str) -> tuple[CacheEntry, bool]:
        """Holding the lock: call STS (unless the previous leader's result or failure has just landed)."""
        try:
            # The previous leader may have finished between our look and our lock: its result, or its failure.
            values = cache.get_many([self.key, self.failed_key])
            landed = CacheEntry.load(values.get(self.key))
            if landed is not None and self._usable(landed):
                return landed, True
            outcome = self._failed_recently(values.get(self.failed_key))
            if outcome is not None:
                return outcome
            return self._fetch(lock_id)
        finally:
            if cache.get(self.lock_key) == lock_id:
                cache.delete(self.lock_key)

    def wait(self) -> tuple[CacheEntry, bool] | None:
        """While another request leads: its result or its failure; None once the lock is free to take."""
        holder = cache.get(self.lock_key)
        if holder is not None:
            metrics.single_flight_waited()
        while holder is not None:
            if time.perf_counter() > self.deadline:
                return self.fall_back(_TIMED_OUT)
            error_key = f"{self.key}:err:{holder}"
            values = cache.get_many([self.key, self.lock_key, error_key])
            landed = CacheEntry.load(values.get(self.key))
            if landed is not None and self._usable(landed):
                return landed, True
            outcome = self._published(values.get(error_key))
            if outcome is not None:
                return outcome
            if values.get(self.lock_key) != holder:
                return None  # released without a result we can use, or taken over: try to lead
            time.sleep(POLL_INTERVAL)
        return None

    def fall_back(
        self, reason: str, *, code_desc: str | None = None, retry_after: int | None = None
    ) -> tuple[CacheEntry, bool]:
        """STS cannot help now: the stale credential while it has not expired, else StsUnavailable (with STS's
        reason, e.g. RequestLimitExceeded, and a Retry-After no shorter than the failure is remembered here)."""
        if self.stale is not None and time.time() < self.stale.expired_time:
            logger.warning("STS unavailable (%s): serving a cached credential until it expires", reason)
            metrics.stale_served()
            return self.stale, True
        raise StsUnavailable(
            format_lazy(
                _("STS is unavailable ({reason}) and no cached credential is valid; try again shortly"), reason=reason
            ),
            code_desc=code_desc,
            retry_after=max(retry_after or StsUnavailable.retry_after or 0, math.ceil(FAILURE_MEMORY)),
        )

    def _fetch(self, lock_id: str) -> tuple[CacheEntry, bool]:
        if self.before_sts is not None:
            self.before_sts()  # a refusal is this request's alone: nothing is published for the waiters
        try:
            fresh = sts.credentials_for_account(
                account=self.account, policy=self.policy.to_dict(), duration=self.duration, username=self.username
            )
        except StsUnavailable as exc:
            self._publish(
                lock_id, {"unavailable": str(exc), "code_desc": exc.code_desc, "retry_after": exc.retry_after}
            )
            return self.fall_back(str(exc), code_desc=exc.code_desc, retry_after=exc.retry_after)
        except sts.StsError as exc:
            self._publish(lock_id, {"code": exc.code, "message": exc.message, "request_id": exc.request_id})
            raise StsFailed(exc.code, exc.message, exc.request_id) from None
        register_secret(fresh.tmp_secret_key, fresh.session_token)
        entry = CacheEntry(
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
            cache.set(self.key, entry.dump(), timeout=ttl)
            _memo.put(self.key, entry)
        cache.delete(self.failed_key)
        return entry, False

    def _usable(self, entry: CacheEntry) -> bool:
        """A landed entry is ours to serve if it is new (issued since we started) or still inside its margin."""
        now = time.time()
        return now < entry.expired_time and (
            entry.start_time >= int(self.started) - 1 or now < entry.expired_time - self.margin
        )

    def _publish(self, lock_id: str, failure: dict[str, Any]) -> None:
        cache.set_many(
            {
                f"{self.key}:err:{lock_id}": failure,
                self.failed_key: {**failure, "at": time.time(), "version": self.version},
            },
            timeout=self.lock_timeout,
        )

    def _published(self, failure: Any) -> tuple[CacheEntry, bool] | None:
        """Act on a failure another request published: serve the stale credential, or raise."""
        if not isinstance(failure, dict):
            return None
        if "unavailable" in failure:
            return self.fall_back(
                str(failure["unavailable"]), code_desc=failure.get("code_desc"), retry_after=failure.get("retry_after")
            )
        raise StsFailed(str(failure["code"]), str(failure["message"]), str(failure.get("request_id", "")))

    def _failed_recently(self, recent: Any) -> tuple[CacheEntry, bool] | None:
        """STS failed for this entry a moment ago: answer the same without calling it again (rate limits, timeouts)."""
        if (
            isinstance(recent, dict)
            and recent.get("version") == self.version
            and self.started - recent["at"] < FAILURE_MEMORY
        ):
            return self._published(recent)
        return None
