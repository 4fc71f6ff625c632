"""Reads: which policy a user gets, which account serves it."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Q, QuerySet

from signer.errors import NoPolicy, UnknownPolicy
from signer.models import AccessPolicy, CloudAccount, IssuedCredential


def _assigned(user: AbstractBaseUser | AnonymousUser) -> QuerySet[AccessPolicy]:
    return (
        AccessPolicy.objects.filter(Q(users=user) | Q(groups__user=user))
        .select_related("account")
        .distinct()
        .order_by("-priority", "name")
    )


POLICY_CACHE_PREFIX = "signer:policy"
POLICY_VERSION_KEY = f"{POLICY_CACHE_PREFIX}:version"
# A backstop only: every change that matters bumps the version (signer/signals.py).
POLICY_CACHE_TTL = 600


def policy_cache_bump() -> None:
    """Make every cached policy resolution stale (a new random version: an evicted version key never matches old
    entries by chance)."""
    cache.set(POLICY_VERSION_KEY, uuid.uuid4().hex, timeout=None)


# A worker's memo of cache entries it has read, by ident: (version, policies). A hit spares fetching and unpickling
# the entry; the version is still read from the shared cache on every call, so an edit is seen as before.
_memo: OrderedDict[str, tuple[str, list[AccessPolicy]]] = OrderedDict()
_memo_lock = threading.Lock()
MEMO_SIZE = 4096


def policy_memo_clear() -> None:
    with _memo_lock:
        _memo.clear()


def _remembered(ident: str, load: Callable[[], list[AccessPolicy]], version: str | None = None) -> list[AccessPolicy]:
    """`load()`, kept in the shared cache under `signer:policy:<ident>` with the version it was read under.

    One cache round trip on a hit: the version alone when this worker holds the entry for it, else the version and
    the entry together. The version is read before the database, so a change committed while `load()` runs leaves
    an entry tagged with the old version: never served again. The model instances are shared by the requests of a
    worker: read them, never change them. `version`, when the caller has just read it, spares the round trip of a
    hit in this worker's memo.
    """
    key = f"{POLICY_CACHE_PREFIX}:{ident}"
    with _memo_lock:
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
        with _memo_lock:
            _memo[ident] = (version, policies)
            _memo.move_to_end(ident)
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    return list(policies)


def policies_for_user(user: AbstractBaseUser | AnonymousUser, *, version: str | None = None) -> list[AccessPolicy]:
    """Every policy assigned to the user directly or through a group, the default first (cached per user).

    The query joins five tables and costs ~1 ms of PostgreSQL planning per request (bench/RESULTS.md), so the
    result is kept per user in the shared cache and invalidated by signals (signer/signals.py): a policy edit, an
    account change or a membership change is seen by the very next request, in every worker.
    """
    if not user.is_authenticated:
        anonymous = anonymous_policy()
        return [anonymous] if anonymous is not None else []
    return _remembered(str(user.pk), lambda: list(_assigned(user)), version)


def anonymous_policy() -> AccessPolicy | None:
    name = settings.SIGNER_ANONYMOUS_POLICY
    if not name:
        return None
    ident = f"anonymous:{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    found = _remembered(ident, lambda: list(AccessPolicy.objects.select_related("account").filter(name=name)[:1]))
    return found[0] if found else None


def policy_for_user(
    user: AbstractBaseUser | AnonymousUser, name: str | None = None, *, version: str | None = None
) -> AccessPolicy:
    """The policy named `name` if the user has it, else the user's default (highest priority).

    NoPolicy when the user has none; UnknownPolicy when `name` is not one of theirs (whether or not it exists, so
    policy names cannot be probed).
    """
    policies = policies_for_user(user, version=version)
    if name:
        for policy in policies:
            if policy.name == name:
                return policy
        raise UnknownPolicy(f"no policy named {name!r} is assigned to you")
    if not policies:
        who = "anonymous callers" if not user.is_authenticated else "you"
        raise NoPolicy(f"no access policy is assigned to {who}: ask an administrator for one")
    return policies[0]


def account_get(account_id: int) -> CloudAccount:
    return CloudAccount.objects.get(pk=account_id)


def issued_for_user(user: AbstractBaseUser) -> QuerySet[IssuedCredential]:
    return IssuedCredential.objects.filter(user=user).order_by("-created")
