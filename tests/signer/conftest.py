"""Fixtures for the signer: an isolated cache per test, the localcloud account, alice and bob, an HTTP client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import requests

from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.factories import make_account


@pytest.fixture
def account(cloud: RunningServer, transactional_db: None) -> CloudAccount:
    return make_account(cloud)


@dataclass
class Api:
    """The portal over a real socket (live_server), as a mobile app or a script calls it."""

    base: str

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)


@pytest.fixture
def api(live_server: Any) -> Api:
    return Api(live_server.url)


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
