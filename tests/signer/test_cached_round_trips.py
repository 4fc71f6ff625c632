"""What a cached /sign costs on the wire: the round trips behind the benchmark's "cached /sign >= 70 % of a bare
authenticated view" (bench/RESULTS.md). The bare view pays knox's three queries too (the token row, its user, and
the user's other tokens, which knox scans for expired ones on every request); a cached /sign adds one Redis call, the
throttle's script, which reads the policy version and the user's revocation epoch along and, when the worker holds
the answer, writes its audit row to the outbox in the same round trip (signer/api.py, services.credentials_remembered).
A new round trip on this path shows here before it shows in the benchmark; what the worker remembers is given only
while the shared cache says it still holds, which the rest of this file shows."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from signer import audit, revocation
from signer.models import AccessPolicy, IssuedCredential
from signer.policy_cache import policy_cache_bump
from tests.factories import DEMO_BUCKET, REGION, make_token


@pytest.fixture
def redis_commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Redis commands sent (a pipeline counts once: it is one round trip)."""
    sent: list[str] = []
    command = redis.Redis.execute_command
    pipeline = redis.client.Pipeline.execute

    def counted(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return command(self, *args, **options)

    def counted_pipeline(self: redis.client.Pipeline, *args: Any, **options: Any) -> Any:
        sent.append("PIPELINE")
        return pipeline(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    return sent


@pytest.fixture
def outbox(redis_cache: str, settings: Any) -> Iterator[str]:
    settings.SIGNER_AUDIT = "outbox"
    settings.SIGNER_AUDIT_DRAIN_INTERVAL = 0  # rows wait in Redis until the test drains them
    yield redis_cache
    audit._drainer.stop()


def signing_in(token: str, **headers: str) -> APIClient:
    client = APIClient(**headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def secret_id(answer: Any) -> str:
    assert answer.status_code == 200, answer.content
    return str(answer.json()["data"]["credentials"]["tmpSecretId"])


def test_a_cached_sign_costs_knoxs_queries_and_one_redis_call(
    outbox: str, alice_token: str, redis_commands: list[str]
) -> None:
    client = signing_in(alice_token, HTTP_USER_AGENT="photos/2.1")
    first = secret_id(client.get("/sign"))
    assert secret_id(client.get("/sign")) == first  # warms the worker's memories (policy, epoch, token last-used)
    redis_commands.clear()

    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/sign")

    assert secret_id(answer) == first
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 3, statements  # knox: the token row, its user, the user's tokens
    assert redis_commands == ["EVALSHA"]
    # Every answer has its row all the same: the one the script wrote is the last delivery's, from the cache.
    assert audit.drain() == 3
    rows = list(IssuedCredential.objects.order_by("created"))
    assert [row.tmp_secret_id for row in rows] == [first] * 3
    assert [row.served_from_cache for row in rows] == [False, True, True]
    assert rows[-1].username == "alice"
    assert rows[-1].user_agent == "photos/2.1"
    assert rows[-1].client_ip == "127.0.0.1"
    assert rows[-1].policy_name == rows[0].policy_name


def test_a_scoped_answer_held_by_the_worker_costs_one_redis_call_too(
    outbox: str, alice_token: str, redis_commands: list[str]
) -> None:
    scope = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/a.jpg"}
    client = signing_in(alice_token)
    first = secret_id(client.post("/sign", {"scopes": [scope]}, format="json"))
    redis_commands.clear()
    assert secret_id(client.post("/sign", {"scopes": [scope]}, format="json")) == first
    assert redis_commands == ["EVALSHA"]
    assert audit.drain() == 2
    assert IssuedCredential.objects.filter(scoped=True, tmp_secret_id=first).count() == 2


def test_an_answer_held_by_the_worker_is_not_given_once_another_worker_changed_the_policies(
    outbox: str, alice_token: str, policy: Any, redis_commands: list[str]
) -> None:
    client = signing_in(alice_token)
    first = secret_id(client.get("/sign"))
    # Another worker's edit: the shared version moves, this worker's memory does not (no signal runs here).
    AccessPolicy.objects.filter(pk=policy.pk).update(duration=900)
    policy_cache_bump()
    redis_commands.clear()
    second = secret_id(client.get("/sign"))
    assert second != first  # the new duration makes a new credential
    assert redis_commands[0] == "EVALSHA"
    assert redis_commands[-1] == "RPUSH"
    assert audit.drain() == 2


def test_an_answer_held_by_the_worker_is_not_given_once_the_user_was_cut_off(
    outbox: str, alice: Any, alice_token: str
) -> None:
    first = secret_id(signing_in(alice_token).get("/sign"))
    revocation.access_revoke(user=alice, reason="lost phone")
    revocation.epoch_memo_clear()
    revocation._seen.put(alice.pk, revocation.NEVER)  # what a worker that did not make the cut-off still holds
    again = signing_in(make_token(alice)).get("/sign")
    assert secret_id(again) != first


def test_a_refused_request_writes_no_row_and_gives_nothing(outbox: str, alice_token: str, settings: Any) -> None:
    settings.SIGNER_RATE = "3/min"
    client = signing_in(alice_token)
    statuses = [client.get("/sign").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert audit.drain() == 3
    assert IssuedCredential.objects.count() == 3


def test_a_policy_named_that_is_not_the_callers_is_refused_after_it_is_counted(
    outbox: str, alice_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "2/min"
    client = signing_in(alice_token)
    assert client.get("/sign").status_code == 200
    refused = client.get("/sign", {"policy": "bucket admin"})
    assert refused.status_code == 403
    assert refused.json()["codeDesc"] == "UnknownPolicy"
    assert client.get("/sign").status_code == 429
    assert audit.drain() == 1


def test_a_new_credential_is_logged_and_a_cached_one_only_at_debug(
    settings: Any, alice_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    with caplog.at_level(logging.DEBUG, logger="signer.services"):
        assert client.get("/sign").status_code == 200
        assert client.get("/sign").status_code == 200
    lines = [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "signer.services"]
    assert [level for level, _ in lines] == [logging.INFO, logging.DEBUG]
    assert lines[0][1].endswith("(new from STS)")
    assert lines[1][1].endswith("(cached)")
