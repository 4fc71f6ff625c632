"""The kill switch: cutting a user off at once, and the per-user epoch that keeps their cached credentials unserved.

A cut-off (`access_revoke`) ends the user's API tokens and sessions, records an AccessRevocation row (the audit:
who, why, by whom, and when the credentials STS already issued expire), and moves the user's *epoch* forward. The
credential cache keys every entry on the epoch (signer/services.py), so what was cached before is never handed out
again, in any worker, from the very next request; ID tokens issued before the epoch are refused.

The epoch lives in the shared cache under `signer:revoked:<user id>` (no expiry) and is read on every /sign and
/sts: on Redis along with the throttle's count, in the same round trip (signer/throttling.py), so a cached /sign
makes no extra query. Should the key be evicted, the next read takes it from the database (the latest
AccessRevocation) and puts it back: an eviction never brings old entries back to life.

STS has no revocation: credentials already issued stay valid until they expire. Keep policy durations short.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from knox.models import AuthToken

from signer.memo import Memo
from signer.models import AccessRevocation, IssuedCredential, SignedInSession

logger = logging.getLogger(__name__)

EPOCH_PREFIX = "signer:revoked"
NEVER = "0"


def epoch_key(user_id: int | None) -> str:
    return f"{EPOCH_PREFIX}:{user_id}"


# The epoch this worker last read for each user: a guess only, good while the shared cache still holds it (the API
# checks in the throttle's round trip before relying on it: signer/api.py).
_seen: Memo[int, str] = Memo(4096)


def user_epoch(user_id: int, *, read: object = None) -> str:
    """The user's epoch: "0" until their first cut-off, then the time of the latest (Unix seconds, as text).

    `read`: the value the caller has just read from the cache (the throttle reads it along with its count)."""
    value = read if read is not None else cache.get(epoch_key(user_id))
    if isinstance(value, str):
        _seen.put(user_id, value)
        return value
    latest = AccessRevocation.objects.filter(user_id=user_id).aggregate(latest=Max("created"))["latest"]
    epoch = _epoch_of(latest)
    cache.set(epoch_key(user_id), epoch, timeout=None)
    _seen.put(user_id, epoch)
    return epoch


def epoch_seen(user_id: int) -> str | None:
    """The epoch this worker last read for the user (it may have moved since: check before relying on it)."""
    return _seen.get(user_id)


def epoch_memo_clear() -> None:
    _seen.clear()


def revoked_since(user_id: int, issued_at: float) -> bool:
    """Whether something issued at `issued_at` (Unix seconds, e.g. an ID token's iat) predates the latest cut-off."""
    epoch = user_epoch(user_id)
    return epoch != NEVER and issued_at <= float(epoch)


def _epoch_of(moment: datetime | None) -> str:
    return NEVER if moment is None else f"{moment.timestamp():.6f}"


def issued_valid_until(user_id: int) -> datetime | None:
    """When the last credential already issued to the user expires (None: nothing issued is still valid)."""
    from signer import audit  # the rows waiting in the audit outbox count too

    try:
        audit.drain()
    except Exception:  # noqa: BLE001 - the database's rows are still an answer
        logger.warning("audit drain before reading issued credentials failed", exc_info=True)
    latest: datetime | None = IssuedCredential.objects.filter(
        user_id=user_id, expired_time__gt=timezone.now()
    ).aggregate(latest=Max("expired_time"))["latest"]
    return latest


def sessions_end(user: AbstractBaseUser) -> int:
    """End every session the user signed in with (whatever the session engine); how many there were."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = list(SignedInSession.objects.filter(user_id=user.pk).values_list("pk", "session_key"))
    for _, key in rows:
        store(session_key=key).delete()
    SignedInSession.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)


def tokens_end(user: AbstractBaseUser) -> int:
    _, per_model = AuthToken.objects.filter(user_id=user.pk).delete()  # the total would count their names too
    return int(per_model.get(AuthToken._meta.label, 0))


def access_revoke(*, user: AbstractBaseUser, reason: str, by: str = "", end_sessions: bool = True) -> AccessRevocation:
    """Cut `user` off now: API tokens (and sessions) ended, cached credentials no longer handed out; audited."""
    tokens = tokens_end(user)
    sessions = sessions_end(user) if end_sessions else 0
    revocation = AccessRevocation.objects.create(
        user_id=user.pk,
        username=user.get_username(),
        reason=reason[:100],
        by=by[:150],
        tokens_ended=tokens,
        sessions_ended=sessions,
        issued_valid_until=issued_valid_until(user.pk),
    )
    epoch = _epoch_of(revocation.created)

    def publish() -> None:
        cache.set(epoch_key(user.pk), epoch, timeout=None)

    publish()
    transaction.on_commit(publish)  # a request that read the old epoch in between cannot keep it
    logger.warning(
        "access of %s revoked (%s%s): %d token(s), %d session(s) ended",
        revocation.username,
        reason,
        f", by {by}" if by else "",
        tokens,
        sessions,
    )
    return revocation


def session_signed_in(*, user: AbstractBaseUser, session_key: str | None) -> None:
    """Remember a new session of the user's (and forget those old enough to have expired)."""
    if not session_key:
        return
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    SignedInSession.objects.filter(user_id=user.pk, created__lt=cutoff).delete()
    SignedInSession.objects.create(user_id=user.pk, session_key=session_key)
