"""The policy cache: which policies a user resolves to, kept in the shared cache under one version token.

Every change that can alter a resolution bumps the version (signer/signals.py), so the next request of every user,
in every worker, reads the database again. A worker also remembers the entries it has read (by ident, with the
version they were read under), which spares fetching and unpickling them: the version is still read from the shared
cache on every call, so an edit is seen as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache

from signer.memo import Memo
from signer.models import AccessPolicy

POLICY_CACHE_PREFIX = "signer:policy"
POLICY_VERSION_KEY = f"{POLICY_CACHE_PREFIX}:version"
# A backstop only: every change that matters bumps the version (signer/signals.py).
POLICY_CACHE_TTL = 600
MEMO_SIZE = 4096

_memo: Memo[str, tuple[str, list[AccessPolicy]]] = Memo(MEMO_SIZE)


def policy_cache_bump() -> None:
    """Make every cached policy resolution stale (a new random version: an evicted version key never matches old
    entries by chance)."""
    cache.set(POLICY_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def policy_memo_clear() -> None:
    _memo.clear()


def in_worker(ident: str) -> tuple[str, list[AccessPolicy]] | None:
    """The version and the entry this worker holds for `ident`, if any, without asking the shared cache (the caller
    must check the version is still current before relying on it)."""
    memo = _memo.get(ident)
    return (memo[0], list(memo[1])) if memo is not None else None


def remembered(ident: str, load: Callable[[], list[AccessPolicy]], version: str | None = None) -> list[AccessPolicy]:
    """`load()`, kept in the shared cache under `signer:policy:<ident>` with the version it was read under.

    One cache round trip on a hit: the version alone when this worker holds the entry for it, else the version and
    the entry together. The version is read before the database, so a change committed while `load()` runs leaves
    an entry tagged with the old version: never served again. The model instances are shared by the requests of a
    worker: read them, never change them. `version`, when the caller has just read it, spares the round trip of a
    hit in this worker's memo.
    """
    key = f"{POLICY_CACHE_PREFIX}:{ident}"
    memo = _memo.get(ident)
    if memo is not None:
        version = version or cache.get(POLICY_VERSION_KEY)
        if version is not None and memo[0] == version:
            return list(memo[1])
        hit = cache.get(key)
    else:
        values = cache.get_many([POLICY_VERSION_KEY, key])
        version, hit = values.get(POLICY_VERSION_KEY), values.get(key)
    if version is None:
        fresh = uuid.uuid4().hex
        version = fresh if cache.add(POLICY_VERSION_KEY, fresh, timeout=None) else cache.get(POLICY_VERSION_KEY)
    if version is not None and isinstance(hit, tuple) and len(hit) == 2 and hit[0] == version:
        policies = list(hit[1])
    else:
        policies = load()
        if version is not None:
            cache.set(key, (version, policies), timeout=POLICY_CACHE_TTL)
    if version is not None:
        _memo.put(ident, (version, policies))
    return list(policies)
