"""/sign as the existing mobile demos use it: parse the cossign envelope, then upload with the credentials."""

from __future__ import annotations

import time
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer import audit
from signer.models import IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET
from tests.signer.conftest import Api


def parse_like_ios_demo(response: Any) -> tuple[str, str, str, int]:
    """What the iOS demo does: accept only HTTP 200 with code == 0, then read data.credentials and data.expiredTime."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 0
    credentials = body["data"]["credentials"]
    return (
        credentials["tmpSecretId"],
        credentials["tmpSecretKey"],
        credentials["sessionToken"],
        body["data"]["expiredTime"],
    )


def test_it_signs_for_alice_and_the_credentials_upload_into_her_prefix_only(
    api: Api, alice_token: str, cloud: RunningServer
) -> None:
    response = api.get("/sign", token=alice_token)
    secret_id, secret_key, token, expired = parse_like_ios_demo(response)
    assert expired > time.time() + 1500
    assert response.json()["codeDesc"] == "Success"
    assert response.headers["Cache-Control"] == "no-store"

    client = cos_client(cloud, secret_id, secret_key, token)
    client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/hello.txt", Body=b"hello from alice")
    body = client.get_object(Bucket=DEMO_BUCKET, Key="users/alice/hello.txt")["Body"].get_raw_stream().read()
    assert body == b"hello from alice"

    with pytest.raises(CosServiceError) as outside:
        client.put_object(Bucket=DEMO_BUCKET, Key="users/bob/sneaky.txt", Body=b"nope")
    assert outside.value.get_status_code() == 403
    assert outside.value.get_error_code() == "AccessDenied"

    with pytest.raises(CosServiceError) as top:
        client.put_object(Bucket=DEMO_BUCKET, Key="top-level.txt", Body=b"nope")
    assert top.value.get_status_code() == 403


def test_it_accepts_post_and_audits_every_delivery(api: Api, alice_token: str, stats: Any) -> None:
    before = stats().get("sts:GetFederationToken", 0)
    first = api.post("/sign", token=alice_token, json={})
    second = api.get("/sign", token=alice_token, headers={"User-Agent": "ios-demo/1.0"})
    first_id, *_ = parse_like_ios_demo(first)
    second_id, *_ = parse_like_ios_demo(second)
    # The second request reuses the cached credentials: one STS call for both.
    assert first_id == second_id
    assert stats().get("sts:GetFederationToken", 0) - before == 1

    audit.drain()
    rows = list(IssuedCredential.objects.order_by("created"))
    assert [row.served_from_cache for row in rows] == [False, True]
    assert {row.username for row in rows} == {"alice"}
    assert rows[1].user_agent == "ios-demo/1.0"
    assert rows[0].tmp_secret_id == first_id
    assert rows[0].request_id
    assert rows[0].client_ip == "127.0.0.1"
    assert len(rows[0].scope_digest) == 64
