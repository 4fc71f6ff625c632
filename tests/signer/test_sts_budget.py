"""The throttle protects what is expensive: new STS calls are counted per user (SIGNER_STS_RATE), cached answers only
loosely (SIGNER_RATE). A page that uploads a folder with one credential per lifetime is never refused; a client that
asks for a new scoped credential per file runs out of new STS calls, not of answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.factories import DEMO_BUCKET, REGION
from tests.signer.conftest import Api

STS_CALLS = ("sts:GetFederationToken", "sts:AssumeRole")


def sts_calls(stats: Callable[[], dict[str, int]]) -> int:
    counts = stats()
    return sum(counts.get(name, 0) for name in STS_CALLS)


def scope(key: str) -> dict[str, str]:
    return {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": key}


def test_a_folder_upload_with_one_credential_is_never_throttled(
    api: Api, alice_token: str, stats: Callable[[], dict[str, int]], settings: Any
) -> None:
    """cos-js-sdk-v5 asks /sts when it starts and whenever its credential nears expiry; a page that also asks once per
    file batch (a reload, several tabs) stays far inside SIGNER_RATE, and all of it costs one STS call."""
    settings.SIGNER_STS_RATE = "2/min"
    before = sts_calls(stats)
    answers = [api.get("/sts", token=alice_token) for _ in range(40)]
    assert {response.status_code for response in answers} == {200}
    assert len({response.json()["credentials"]["tmpSecretId"] for response in answers}) == 1
    assert sts_calls(stats) - before == 1


def test_new_sts_calls_are_counted_per_user_with_retry_after(
    api: Api, alice_token: str, bob_token: str, stats: Callable[[], dict[str, int]], settings: Any
) -> None:
    settings.SIGNER_STS_RATE = "3/min"
    before = sts_calls(stats)
    statuses = [
        api.post("/sts", token=alice_token, json={"scopes": [scope(f"users/alice/{n}.jpg")]}).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 200]
    refused = api.post("/sts", token=alice_token, json={"scopes": [scope("users/alice/3.jpg")]})
    assert refused.status_code == 429
    assert refused.json()["codeDesc"] == "Throttled"
    assert int(refused.headers["Retry-After"]) >= 1
    assert sts_calls(stats) - before == 3
    # A scope already issued is still answered, from the cache...
    again = api.post("/sts", token=alice_token, json={"scopes": [scope("users/alice/0.jpg")]})
    assert again.status_code == 200
    # ...but not one that needs a new STS call (the whole policy's, here); bob's budget is his own.
    assert api.get("/sts", token=alice_token).status_code == 429
    bob_scope = {"scopes": [scope("users/bob/0.jpg")]}
    assert api.post("/sts", token=bob_token, json=bob_scope).status_code == 200
