"""Fixtures for the signer: an isolated cache per test, the localcloud account, alice and bob, an HTTP client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.api import Api as Api  # the signer's tests import it from here; it lives in tests/api.py

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[str]:
    """The default cache on the machine's Redis under a prefix of its own (whatever the test run's cache is)."""
    prefix = f"test-redis-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_TIMEOUT": 2},
        }
    }
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
