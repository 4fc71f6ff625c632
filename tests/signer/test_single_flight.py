"""The credential cache: reuse until expiredTime - margin, and one STS call for many concurrent cold requests."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path
from typing import Any

import redis
import requests
import time_machine
from django.utils import timezone

from localcloud.server import RunningServer
from signer.credential_cache import margin_for
from tests.signer.conftest import Api
from tests.signer.servers import Deployment, prepare, server, servers

CONCURRENCY = 50


def fire(urls: list[str], token: str, count: int = CONCURRENCY) -> list[requests.Response]:
    """`count` GET requests released at the same instant, spread over `urls`."""
    barrier = threading.Barrier(count)

    def one(index: int) -> requests.Response:
        barrier.wait(timeout=30)
        return requests.get(urls[index % len(urls)], headers={"Authorization": f"Token {token}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def audit_rows(deployment: Deployment, *, until: int, timeout: float = 10.0) -> dict[int, int]:
    """served_from_cache -> rows in the servers' database, once there are `until` rows (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        audit = sqlite3.connect(Path(deployment.env["PORTAL_VAR_DIR"]) / "portal.sqlite3")
        rows = audit.execute("SELECT served_from_cache, COUNT(*) FROM signer_issuedcredential GROUP BY 1").fetchall()
        audit.close()
        if sum(count for _, count in rows) >= until or time.monotonic() > deadline:
            return dict(rows)
        time.sleep(0.1)


def check_single_flight(urls: list[str], deployment: Deployment, stats: Any) -> None:
    before = stats().get("sts:GetFederationToken", 0)
    responses = fire([f"{url}{path}" for url in urls for path in ("/sign", "/sts")], deployment.token)
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * CONCURRENCY, {r.status_code: r.text for r in responses} | {"log": deployment.log_text()}
    assert stats().get("sts:GetFederationToken", 0) - before == 1
    ids = {
        (r.json()["data"]["credentials"] if "data" in r.json() else r.json()["credentials"])["tmpSecretId"]
        for r in responses
    }
    assert len(ids) == 1
    # With Redis the rows go through the audit outbox: the servers' own drainers write them within a second.
    assert audit_rows(deployment, until=CONCURRENCY) == {0: 1, 1: CONCURRENCY - 1}
    # The servers logged at DEBUG, the STS SDK included: no temporary secret key or token in there.
    body = next(r.json() for r in responses if "credentials" in r.json())
    logs = deployment.log_text()
    assert body["credentials"]["tmpSecretKey"] not in logs
    assert body["credentials"]["sessionToken"] not in logs


def test_it_makes_one_sts_call_for_fifty_concurrent_cold_requests_on_the_local_cache(
    cloud: RunningServer, stats: Any, tmp_path: Path
) -> None:
    deployment = prepare(tmp_path, localcloud_url=cloud.url)
    with server(deployment, tmp_path) as url:
        check_single_flight([url], deployment, stats)


def test_it_makes_one_sts_call_across_two_processes_sharing_redis(
    cloud: RunningServer, stats: Any, tmp_path: Path
) -> None:
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"test-single-flight-{uuid.uuid4().hex[:12]}"
    deployment = prepare(tmp_path, localcloud_url=cloud.url, redis_url=redis_url, key_prefix=prefix)
    try:
        with servers(deployment, tmp_path, 2) as urls:
            check_single_flight(urls, deployment, stats)
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_it_reuses_credentials_until_the_margin_then_renews(api: Api, alice_token: str, stats: Any) -> None:
    assert margin_for(1800) == 360
    assert margin_for(900) == 300
    assert margin_for(7200) == 1440
    before = stats().get("sts:GetFederationToken", 0)
    first = api.get("/sts", token=alice_token).json()
    start = timezone.now()
    renew_at = first["expiredTime"] - margin_for(1800)

    with time_machine.travel(timezone.datetime.fromtimestamp(renew_at - 5, tz=UTC)):
        same = api.get("/sts", token=alice_token).json()
    assert same["credentials"]["tmpSecretId"] == first["credentials"]["tmpSecretId"]
    assert stats().get("sts:GetFederationToken", 0) - before == 1

    with time_machine.travel(timezone.datetime.fromtimestamp(renew_at + 1, tz=UTC)):
        renewed = api.get("/sts", token=alice_token).json()
    assert renewed["credentials"]["tmpSecretId"] != first["credentials"]["tmpSecretId"]
    assert renewed["expiredTime"] > first["expiredTime"]
    assert stats().get("sts:GetFederationToken", 0) - before == 2
    assert start  # the clock travelled only inside the blocks


def test_it_caches_per_final_policy(api: Api, alice_token: str, bob_token: str, stats: Any) -> None:
    before = stats().get("sts:GetFederationToken", 0)
    scope = {
        "action": "name/cos:PutObject",
        "bucket": "demo-1250000000",
        "region": "ap-guangzhou",
        "prefix": "users/alice/a",
    }
    ids = [
        api.get("/sign", token=alice_token).json()["data"]["credentials"]["tmpSecretId"],
        api.get("/sign", token=bob_token).json()["data"]["credentials"]["tmpSecretId"],
        api.post("/sign", token=alice_token, json={"scopes": [scope]}).json()["data"]["credentials"]["tmpSecretId"],
        api.post("/sign", token=alice_token, json={"scopes": [scope]}).json()["data"]["credentials"]["tmpSecretId"],
    ]
    assert len(set(ids)) == 3
    assert ids[2] == ids[3]
    assert stats().get("sts:GetFederationToken", 0) - before == 3
