"""The throttle of /sign, /sts and login (signer/throttling.py): a sliding-window counter, one round trip on Redis,
the same answers on local memory."""

from __future__ import annotations

import time
from typing import Any

import pytest
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
        assert 60 <= int(refused.headers["Retry-After"]) <= 61  # a whole window must slide past
        clock.move_to(start + 75)  # a quarter into the next window: 4 * 0.75 = 3 of the last 60 s still count
        assert [api.get("/sign", token=token).status_code for _ in range(2)] == [200, 429]
        clock.move_to(start + 180)  # two windows on: nothing counts any more
        assert [api.get("/sign", token=token).status_code for _ in range(5)] == [200, 200, 200, 200, 429]


def test_the_throttle_counts_per_user(
    redis_cache: str, api: Api, alice_token: str, bob_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "2/min"
    assert [api.get("/sign", token=alice_token).status_code for _ in range(3)] == [200, 200, 429]
    assert api.get("/sign", token=bob_token).status_code == 200
