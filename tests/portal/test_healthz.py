"""GET /healthz reports the database, the cache and the cloud, each checked for real."""

from __future__ import annotations

import pytest

from localcloud.server import RunningServer
from tests.net import free_port

pytestmark = pytest.mark.django_db


def test_it_reports_everything_up(client: object, cloud: RunningServer) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "cloud": "ok"}
    assert body["backend"] == "local"


def test_it_answers_503_when_sts_is_unreachable(client: object, settings: object) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there  # type: ignore[attr-defined]
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cloud"].startswith("down: ")
    assert body["checks"]["database"] == "ok"


def test_it_answers_503_when_the_cache_is_broken(client: object, settings: object, cloud: RunningServer) -> None:
    # A Redis URL nobody serves: the cache check fails, the page still answers JSON.
    port = free_port()
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("down: ")


def test_it_refuses_other_methods(client: object, cloud: RunningServer) -> None:
    assert client.post("/healthz").status_code == 405  # type: ignore[attr-defined]
