"""The audit outbox (SIGNER_AUDIT=outbox, signer/audit.py) on a real Redis: every delivery becomes exactly one row,
whoever drains, however often, whatever dies in between."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from signer import audit, checks, services
from signer.models import IssuedCredential
from tests.signer.conftest import REDIS_URL, Api


@pytest.fixture
def outbox(redis_cache: str, settings: Any) -> Iterator[str]:
    """The default cache on Redis (a prefix of its own) and the audit going through the outbox."""
    settings.SIGNER_AUDIT = "outbox"
    yield redis_cache
    audit._drainer.stop()


def rows() -> int:
    return IssuedCredential.objects.count()


def record_row(user: Any, tmp_secret_id: str) -> None:
    """An audit row as the signer records it, without the STS round trip."""
    audit.record(
        user_id=user.pk,
        username=user.username,
        policy_id=None,
        policy_name="p",
        account_id=None,
        scoped=False,
        scope_digest="d" * 64,
        scopes=[],
        tmp_secret_id=tmp_secret_id,
        expired_time=audit.timezone.now(),
        request_id="r",
        served_from_cache=True,
        client_ip=None,
        user_agent="",
    )


def test_it_keeps_the_row_in_redis_until_a_drain_writes_it_whole(outbox: str, alice: Any) -> None:
    issued = services.credentials_issue(user=alice, client_ip="203.0.113.7", user_agent="agent/1.0")

    assert rows() == 0
    assert audit.pending() == 1
    assert audit.drain() == 1
    assert audit.pending() == 0
    row = IssuedCredential.objects.get()
    assert (row.user, row.username, row.tmp_secret_id) == (alice, "alice", issued.tmp_secret_id)
    assert (row.client_ip, row.user_agent, row.served_from_cache) == ("203.0.113.7", "agent/1.0", False)
    assert row.expired_time.timestamp() == issued.expired_time
    assert row.delivery_id is not None
    assert audit.drain() == 0


def test_it_writes_a_batch_claimed_by_a_drainer_that_died_exactly_once(
    outbox: str, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        services.credentials_issue(user=alice)

    def die(raws: list[bytes]) -> None:
        raise KeyboardInterrupt("killed while writing")

    with monkeypatch.context() as patch:
        patch.setattr(audit, "_write_rows", die)
        with pytest.raises(KeyboardInterrupt):
            audit.drain()
    assert rows() == 0
    assert audit.pending() == 5  # claimed, not lost
    assert audit.drain() == 0  # a young claim may still be in a live drainer's hands: left alone

    assert audit.drain(adopt_after=0) == 5
    # Adopting a claim its drainer did write after all stores nothing twice (unique delivery ids).
    written = list(IssuedCredential.objects.all())
    client = redis.Redis.from_url(REDIS_URL)
    claim = f"{outbox}:1:{audit.CLAIM_PREFIX}again"
    for row in written:
        client.rpush(claim, audit._encode({f.attname: getattr(row, f.attname) for f in audit._FIELDS}))
    client.zadd(f"{outbox}:1:{audit.CLAIMS}", {claim: 0})
    assert audit.drain() == 5
    assert rows() == 5
    assert audit.pending() == 0


def test_concurrent_drainers_write_every_row_once(outbox: str, alice: Any) -> None:
    count = 60
    for _ in range(count):
        record_row(alice, f"AKID{uuid.uuid4().hex}")
    monkey_batch = 7
    original = audit.BATCH
    audit.BATCH = monkey_batch
    try:
        threads = [threading.Thread(target=audit.drain) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        audit.BATCH = original
    assert rows() == count
    assert IssuedCredential.objects.values("delivery_id").distinct().count() == count


def test_a_row_outlives_its_deleted_user_by_name(outbox: str, alice: Any) -> None:
    services.credentials_issue(user=alice)
    alice.delete()

    assert audit.drain() == 1
    row = IssuedCredential.objects.get()
    assert (row.user, row.username) == (None, "alice")


def test_a_users_rows_are_found_through_one_index(outbox: str, alice: Any) -> None:
    """Each delivery writes every index of the table: a user's rows (their history, SET_NULL when the user is deleted)
    are found through (user, -created), which leads with the user, and no second index on user_id alone."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, IssuedCredential._meta.db_table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["user_id", "created"] in indexes
    assert ["user_id"] not in indexes
    services.credentials_issue(user=alice)
    assert audit.drain() == 1
    assert IssuedCredential.objects.filter(user=alice).count() == 1


def test_it_writes_the_row_directly_when_redis_cannot_take_it(outbox: str, alice: Any, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{closed}/0"},
    }
    record_row(alice, "AKIDdirect")
    assert IssuedCredential.objects.get().tmp_secret_id == "AKIDdirect"


def test_each_worker_drains_in_the_background(outbox: str, api: Api, alice_token: str, settings: Any) -> None:
    settings.SIGNER_AUDIT_DRAIN_INTERVAL = 0.05
    for _ in range(3):
        assert api.get("/sign", token=alice_token).status_code == 200
    deadline = time.monotonic() + 10
    while rows() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rows() == 3
    assert audit.pending() == 0


def test_the_drain_command_writes_what_waits(outbox: str, alice: Any, capsys: pytest.CaptureFixture[str]) -> None:
    services.credentials_issue(user=alice)
    services.credentials_issue(user=alice)
    call_command("drain_audit")
    assert "Wrote 2 audit row(s); 0 waiting." in capsys.readouterr().out
    assert rows() == 2


def test_checks_refuse_an_outbox_without_redis_and_an_unknown_mode(settings: Any) -> None:
    with override_settings(SIGNER_AUDIT="outbox"):
        assert [e.id for e in checks.check_audit()] == (
            ["signer.E004"] if "redis" not in settings.CACHES["default"]["BACKEND"] else []
        )
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(SIGNER_AUDIT="outbox"):
        assert [e.id for e in checks.check_audit()] == ["signer.E004"]
    with override_settings(SIGNER_AUDIT="sometimes"):
        assert [e.id for e in checks.check_audit()] == ["signer.E003"]
    with override_settings(SIGNER_AUDIT="database"):
        assert checks.check_audit() == []


def test_a_row_the_database_refuses_is_set_aside_without_blocking_the_others(outbox: str, alice: Any) -> None:
    for _ in range(3):
        services.credentials_issue(user=alice)
    client = redis.Redis.from_url(REDIS_URL)
    good = client.lrange(f"{outbox}:1:{audit.OUTBOX}", 0, -1)
    poison = good[0][: len(good[0]) // 2]  # cut in half: not JSON any more
    client.lpush(f"{outbox}:1:{audit.OUTBOX}", poison)
    client.close()

    assert audit.drain() == 4
    assert rows() == 3
    assert audit.pending() == 0
    refused = redis.Redis.from_url(REDIS_URL).lrange(f"{outbox}:1:{audit.REFUSED}", 0, -1)
    assert refused == [poison]
