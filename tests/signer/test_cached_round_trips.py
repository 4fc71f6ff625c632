"""What a cached /sign costs on the wire: the round trips behind the benchmark's "cached /sign >= 70 % of a bare
authenticated view" (bench/RESULTS.md). The bare view pays knox's three queries too (the token row, its user, and
the user's other tokens, which knox scans for expired ones on every request); a cached /sign adds two Redis calls —
the throttle's script, which reads the policy version and the user's revocation epoch along, and the audit outbox's
RPUSH — while the credential itself comes from the worker's memory of the shared entry. A new round trip on this path
shows here before it shows in the benchmark."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


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


def test_a_cached_sign_costs_knoxs_queries_and_two_redis_calls(
    redis_cache: str, settings: Any, alice_token: str, redis_commands: list[str]
) -> None:
    settings.SIGNER_AUDIT = "outbox"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    first = client.get("/sign")
    assert first.status_code == 200, first.content
    assert client.get("/sign").status_code == 200  # warms the worker's memories (policy, token last-used)
    redis_commands.clear()

    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/sign")

    assert answer.status_code == 200
    assert answer.json()["data"]["credentials"]["tmpSecretId"] == first.json()["data"]["credentials"]["tmpSecretId"]
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 3, statements  # knox: the token row, its user, the user's tokens
    assert redis_commands == ["EVALSHA", "RPUSH"]


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
