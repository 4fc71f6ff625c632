"""The throttle of /sign, /sts and login (signer/throttling.py): a sliding-window counter (signer/sliding_window.py),
one round trip on Redis, the same answers on local memory."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
import time_machine

from tests.signer.conftest import Api


@pytest.mark.parametrize("backend", ["redis", "locmem"])
def test_the_throttle_slides_its_window(backend: str, request: pytest.FixtureRequest, settings: Any) -> None:
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.SIGNER_RATE = "4/min"
    api: Api = request.getfixturevalue("api")
    token = request.getfixturevalue("alice_token")
    start = float((int(time.time()) // 60 + 1) * 60)  # the start of the next minute (knox tokens still valid)
    with time_machine.travel(start, tick=False) as clock:
        assert [api.get("/sign", token=token).status_code for _ in range(5)] == [200, 200, 200, 200, 429]
        refused = api.get("/sign", token=token)
        assert refused.status_code == 429
        # The next window, then until the previous window's 4 requests weigh no more than 3: 60 + 15 s.
        assert int(refused.headers["Retry-After"]) == 75
        clock.move_to(start + 75)  # a quarter into the next window: 4 * 0.75 = 3 of the last 60 s still count
        assert [api.get("/sign", token=token).status_code for _ in range(2)] == [200, 429]
        clock.move_to(start + 180)  # two windows on: nothing counts any more
        assert [api.get("/sign", token=token).status_code for _ in range(5)] == [200, 200, 200, 200, 429]


@pytest.mark.parametrize("backend", ["redis", "locmem"])
def test_a_burst_just_before_a_window_boundary_is_not_followed_by_another(
    backend: str, request: pytest.FixtureRequest, settings: Any
) -> None:
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.SIGNER_RATE = "3/min"
    api: Api = request.getfixturevalue("api")
    token = request.getfixturevalue("alice_token")
    boundary = float((int(time.time()) // 60 + 1) * 60)
    with time_machine.travel(boundary - 1, tick=False) as clock:
        assert [api.get("/sign", token=token).status_code for _ in range(4)] == [200, 200, 200, 429]
        clock.move_to(boundary + 0.1)  # the 3 requests of a second ago still count (ceil(3 * 0.998) = 3)
        refused = api.get("/sign", token=token)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == 20  # until they weigh 2: a third of the window
        clock.move_to(boundary + 20.1)
        assert [api.get("/sign", token=token).status_code for _ in range(2)] == [200, 429]


def test_the_throttle_counts_per_user(
    redis_cache: str, api: Api, alice_token: str, bob_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "2/min"
    assert [api.get("/sign", token=alice_token).status_code for _ in range(3)] == [200, 200, 429]
    assert api.get("/sign", token=bob_token).status_code == 200


def test_a_cached_sign_costs_one_redis_round_trip(
    redis_cache: str, api: Api, alice_token: str, settings: Any, policy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The throttle's count, the policy cache's version and the revocation epoch read along, and the audit row, in
    one EVALSHA: nothing else once this worker holds the user's policy and credentials."""
    settings.SIGNER_AUDIT = "outbox"
    for _ in range(2):
        assert api.get("/sign", token=alice_token).status_code == 200
    sent: list[str] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def send(self: Any, command: Any, check_health: bool = True) -> None:
        first = command[0] if isinstance(command, list) else command
        sent.append(bytes(first).split(b"\r\n")[2].decode())  # the command's name
        original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)
    answer = api.get("/sign", token=alice_token)
    monkeypatch.undo()
    assert answer.status_code == 200
    assert sent == ["EVALSHA"]
    # An edit is still seen by the very next request (the version read along with the count moved).
    policy.statements = [{"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]}]
    policy.save()
    edited = api.get("/sign", token=alice_token).json()["data"]["credentials"]["tmpSecretId"]
    assert edited != answer.json()["data"]["credentials"]["tmpSecretId"]


@pytest.mark.parametrize(
    ("limit", "held", "pushed"),
    [
        ("3/min", "v1", True),  # counted, and the key read along holds what the push expects
        ("3/min", "v2", False),  # counted, but the key moved: nothing pushed
        ("0/min", "v1", False),  # refused: nothing counted, nothing pushed
    ],
)
def test_the_counts_push_is_made_only_if_the_request_is_counted_and_nothing_moved(
    redis_cache: str, limit: str, held: str, pushed: bool
) -> None:
    from django.core.cache import cache

    from signer import rediscache
    from signer.sliding_window import Push, SlidingWindow, parse_rate

    cache.set("version", held)
    window = SlidingWindow("throttle:test:push", *parse_rate(limit))
    count = window.take(read_along=["version"], push=Push("pushed", b"row", {"version": "v1"}))
    assert count.pushed is pushed
    assert count.read == {"version": held}
    assert count.current == (0 if limit == "0/min" else 1)
    assert rediscache.connection().lrange(rediscache.key("pushed"), 0, -1) == ([b"row"] if pushed else [])
    # A push that does not say what it expects of every key read along is never made.
    partial = window.take(read_along=["version", "other"], push=Push("pushed", b"row", {"version": held}))
    assert not partial.pushed
