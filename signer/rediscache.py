"""The shared cache when it is Redis: the connection, key names as the cache spells them, and Lua scripts.

Django's cache API covers what the signer needs on every backend; the few things that must be atomic across
processes (the throttle's check-and-count, the audit outbox's claims) or that only Redis has (lists) go through
here, on the default cache's own connection pool.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.cache import cache, caches


def is_redis() -> bool:
    return type(caches["default"]).__module__.startswith("django_redis.")


def connection() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def key(name: str) -> str:
    """`name` as the default cache stores it (with its KEY_PREFIX and version)."""
    return str(cache.make_key(name))


def decode(value: Any) -> Any:
    """A cache value read straight from Redis, through django-redis' own (un)serializer."""
    return cast(Any, caches["default"]).client.decode(value)


def encode(value: Any) -> Any:
    """A value as django-redis stores it (its serializer), to compare with what a script reads from Redis."""
    return cast(Any, caches["default"]).client.encode(value)


def run_script(source: str, *, keys: list[str], args: list[Any]) -> Any:
    """Run a Lua script: EVALSHA, and EVAL the first time (or after a SCRIPT FLUSH). Registered once per client."""
    client = connection()
    scripts: dict[str, Any] | None = getattr(client, "_signer_scripts", None)
    if scripts is None:
        scripts = client._signer_scripts = {}
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = client.register_script(source)
    return script(keys=keys, args=args)
