"""Faults: localcloud killed and restarted during traffic, our own Redis stopped, the database unavailable.

Each is a real failure (kill -9 of a real process, a Redis that is gone, a database connection that cannot be made);
the portal must answer with a status and a JSON body a client can act on — cached credentials or 503 — and come back
by itself, never a 500 or a traceback.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
import requests
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from signer.models import CloudAccount
from tests.api import Api
from tests.factories import DEMO_BUCKET, REGION, make_account, make_bucket, make_policy, make_token, make_user
from tests.hardening.conftest import Process, assert_envelope, cos_client, wait_until
from tests.net import free_port

SCOPE = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/a.txt"}


def _point_at(settings: Any, process: Process) -> None:
    settings.LOCALCLOUD_URL = process.url
    settings.LOCALCLOUD_PUBLIC_URL = process.url
    settings.STS_TIMEOUT = 2.0


@pytest.fixture
def outage_account(localcloud_process: Process, settings: Any, transactional_db: None) -> CloudAccount:
    _point_at(settings, localcloud_process)
    make_bucket(localcloud_process, DEMO_BUCKET)  # type: ignore[arg-type]
    return make_account()


def test_it_serves_cached_credentials_or_503_while_localcloud_is_down_and_recovers_by_itself(
    api: Api, localcloud_process: Process, outage_account: CloudAccount
) -> None:
    alice = make_user("alice", policy=make_policy(outage_account, name="read-write own prefix"))
    token = make_token(alice)
    first = api.get("/sign", token=token)
    assert first.status_code == 200, first.text
    cached = first.json()["data"]["credentials"]

    # Traffic all along: a client alternating the warm /sign and a cold, scoped /sts (one client: the test database
    # is SQLite in memory, where concurrent audit writes would lock each other — not what is tested here).
    seen: list[tuple[str, str, int, dict[str, Any]]] = []
    stop = threading.Event()

    def traffic() -> None:
        session = requests.Session()
        headers = {"Authorization": f"Token {token}"}
        for n in itertools.count():
            if stop.is_set():
                break
            phase = "up" if localcloud_process.process is not None else "down"
            warm = session.get(f"{api.base}/sign", headers=headers, timeout=30)
            seen.append((phase, "warm", warm.status_code, warm.json()))
            # A scope never asked before: nothing cached, it needs STS.
            fresh = {**SCOPE, "prefix": f"users/alice/{n}.txt"}
            cold = session.post(f"{api.base}/sts", json={"scopes": [fresh]}, headers=headers, timeout=30)
            seen.append((phase, "cold", cold.status_code, cold.json()))
        session.close()

    client = threading.Thread(target=traffic)
    client.start()
    try:
        wait_until(lambda: len(seen) >= 4)
        localcloud_process.kill()
        wait_until(lambda: sum(1 for phase, kind, *_ in seen if phase == "down" and kind == "cold") >= 3)
        localcloud_process.start()
        # Nobody restarts anything in the portal: the cold request simply starts working again.
        wait_until(lambda: any(p == "up" and k == "cold" and s == 200 for p, k, s, _ in seen[-6:]))
    finally:
        stop.set()
        client.join(timeout=60)

    statuses = Counter(status for *_, status, _ in seen)
    assert set(statuses) <= {200, 503}, statuses
    down = [(kind, status, body) for phase, kind, status, body in seen if phase == "down"]
    for kind, status, body in down:
        if status == 503:
            assert body["codeDesc"] == "StsUnavailable", body
            assert "unavailable" in body["message"].lower(), body
        elif kind == "warm":
            # The still-valid cached credentials, not new ones.
            assert body["data"]["credentials"]["tmpSecretId"] == cached["tmpSecretId"]
    assert any(kind == "warm" and status == 200 for kind, status, _ in down), down
    assert any(kind == "cold" and status == 503 for kind, status, _ in down), down

    answered = [(i, body) for i, (_, kind, status, body) in enumerate(seen) if kind == "cold" and status == 200]
    index, narrow = answered[-1]
    narrow_creds = narrow["credentials"]
    narrow_key = f"users/alice/{index // 2}.txt"
    # Credentials issued before the crash are still honoured by the restarted localcloud (they persist).
    client_ = cos_client(localcloud_process, cached["tmpSecretId"], cached["tmpSecretKey"], cached["sessionToken"])
    client_.put_object(Bucket=DEMO_BUCKET, Key="users/alice/after-restart.txt", Body=b"still valid")
    scoped = cos_client(
        localcloud_process, narrow_creds["tmpSecretId"], narrow_creds["tmpSecretKey"], narrow_creds["sessionToken"]
    )
    scoped.put_object(Bucket=DEMO_BUCKET, Key=narrow_key, Body=b"scoped")


def test_it_answers_503_not_500_when_localcloud_never_answered(api: Api, settings: Any, transactional_db: None) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STS_TIMEOUT = 1.0
    account = make_account()
    token = make_token(make_user("alice", policy=make_policy(account, name="read-write own prefix")))
    for path in ("/sign", "/sts"):
        body = assert_envelope(api.get(path, token=token), 503, "StsUnavailable")
        assert "STS" in body["message"]


# --------------------------------------------------------------------------------------------------------- redis


@pytest.fixture
def redis_cache(redis_process: Process, settings: Any) -> Process:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_process.port}/0",
            "KEY_PREFIX": "hardening",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    return redis_process


@pytest.fixture
def redis_alice_token(redis_cache: Process, alice: Any) -> str:
    return make_token(alice)


def test_it_issues_credentials_through_our_own_redis(api: Api, redis_alice_token: str, redis_cache: Process) -> None:
    first = api.get("/sign", token=redis_alice_token)
    second = api.get("/sts", token=redis_alice_token)
    assert first.status_code == second.status_code == 200
    # Cached in that Redis: the second answer reuses the first credentials.
    assert first.json()["data"]["credentials"]["tmpSecretId"] == second.json()["credentials"]["tmpSecretId"]


def test_it_fails_closed_with_503_when_redis_is_stopped_and_recovers(
    api: Api, redis_alice_token: str, redis_cache: Process
) -> None:
    assert api.get("/sign", token=redis_alice_token).status_code == 200
    redis_cache.kill()
    for path in ("/sign", "/sts"):
        assert_envelope(api.get(path, token=redis_alice_token), 503, "CacheUnavailable")
    redis_cache.start()
    wait_until(lambda: api.get("/sign", token=redis_alice_token).status_code == 200)


def test_it_never_answers_a_traceback_when_redis_is_stopped(
    api: Api, redis_alice_token: str, redis_cache: Process
) -> None:
    """Whatever the status, the answer is the JSON envelope without a stack trace or an exception's text."""
    redis_cache.kill()
    response = api.get("/sign", token=redis_alice_token)
    assert response.status_code >= 500
    body = assert_envelope(response, response.status_code)
    assert "Traceback" not in response.text
    assert "redis" not in body["message"].lower()
    redis_cache.start()
    wait_until(lambda: api.get("/sign", token=redis_alice_token).status_code == 200)


# ------------------------------------------------------------------------------------------------------ database


@pytest.fixture
def database_down(transactional_db: None) -> Iterator[Callable[[], None]]:
    """down(): from then on every use of a database connection fails as a stopped PostgreSQL or a full disk does.

    Restored before the test database is flushed (this fixture depends on it, so it is torn down first).
    """

    def refuse(self: BaseDatabaseWrapper) -> None:
        raise OperationalError("could not connect to server: Connection refused")

    patcher = mock.patch.object(BaseDatabaseWrapper, "ensure_connection", refuse)
    started: list[bool] = []

    def down() -> None:
        patcher.start()
        started.append(True)

    yield down
    if started:
        patcher.stop()


def test_it_answers_503_json_when_the_database_is_unavailable(
    alice: Any, alice_token: str, database_down: Any, cloud: Any
) -> None:
    client = Client(raise_request_exception=False)
    database_down()
    for response in (
        client.get("/sign", HTTP_AUTHORIZATION=f"Token {alice_token}"),
        client.post(
            "/sts", data={"scopes": [SCOPE]}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {alice_token}"
        ),
        client.post("/api/auth/login", data={"username": "alice", "password": "x"}, content_type="application/json"),
    ):
        body = assert_envelope(response, 503, "DatabaseUnavailable")
        assert "Traceback" not in body["message"]
        assert "connect" not in body["message"]
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["database"].startswith("down")


def test_it_answers_503_on_pages_when_the_database_is_unavailable(alice: Any, database_down: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    database_down()
    for path in ("/", "/accounts/login/", "/access/"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert b"Traceback" not in response.content
