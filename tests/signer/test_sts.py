"""/sts as qcloud-cos-sts clients parse it, and POST scopes that narrow the credentials to exactly what is asked."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer import audit
from signer.models import IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION
from tests.signer.conftest import Api


def parse_like_cos_sts_client(response: Any) -> dict[str, Any]:
    """What the qcloud-cos-sts based iOS/Android/JS code reads: credentials.*, expiredTime, startTime, expiration."""
    assert response.status_code == 200, response.text
    body = response.json()
    credentials = body["credentials"]
    return {
        "id": credentials["tmpSecretId"],
        "key": credentials["tmpSecretKey"],
        "token": credentials["sessionToken"],
        "start": body["startTime"],
        "expired": body["expiredTime"],
        "expiration": body["expiration"],
        "request_id": body["requestId"],
    }


def scope(action: str, key: str, bucket: str = DEMO_BUCKET) -> dict[str, str]:
    return {"action": f"name/cos:{action}", "bucket": bucket, "region": REGION, "prefix": key}


def test_it_answers_the_qcloud_cos_sts_envelope(api: Api, alice_token: str, cloud: RunningServer) -> None:
    before = time.time()
    sts = parse_like_cos_sts_client(api.get("/sts", token=alice_token))
    # StartTime becomes the signature start in cos-js-sdk-v5: never in the future.
    assert before - 5 <= sts["start"] <= time.time()
    assert sts["expired"] - sts["start"] == pytest.approx(1800, abs=5)
    assert datetime.fromisoformat(sts["expiration"].replace("Z", "+00:00")).timestamp() == sts["expired"]
    assert sts["request_id"]

    client = cos_client(cloud, sts["id"], sts["key"], sts["token"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/from-sts.txt", Body=b"sts")
    assert client.head_object(Bucket=DEMO_BUCKET, Key="users/alice/from-sts.txt")["Content-Length"] == "3"


def test_it_narrows_credentials_to_the_requested_scopes(api: Api, alice_token: str, cloud: RunningServer) -> None:
    wanted = [scope("PutObject", "users/alice/only-this.txt")]
    response = api.post("/sts", token=alice_token, json={"scopes": wanted})
    sts = parse_like_cos_sts_client(response)
    client = cos_client(cloud, sts["id"], sts["key"], sts["token"])

    client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/only-this.txt", Body=b"scoped")
    # Still inside alice's prefix, but not in the scope: localcloud refuses.
    with pytest.raises(CosServiceError) as other_key:
        client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/other.txt", Body=b"nope")
    assert other_key.value.get_status_code() == 403
    with pytest.raises(CosServiceError) as read:
        client.get_object(Bucket=DEMO_BUCKET, Key="users/alice/only-this.txt")
    assert read.value.get_status_code() == 403

    audit.drain()
    row = IssuedCredential.objects.get(tmp_secret_id=sts["id"])
    assert row.scoped is True
    assert row.scopes == [
        {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/only-this.txt"}
    ]


def test_it_narrows_listing_scopes_to_the_listed_prefix(api: Api, alice_token: str, cloud: RunningServer) -> None:
    # What cos-js-sdk-v5 sends before a multipart upload: ListMultipartUploads with the key as the prefix.
    wanted = [scope("GetBucket", "users/alice/"), scope("ListMultipartUploads", "users/alice/big.bin")]
    sts = parse_like_cos_sts_client(api.post("/sts", token=alice_token, json={"scopes": wanted}))
    client = cos_client(cloud, sts["id"], sts["key"], sts["token"])

    listing = client.list_objects(Bucket=DEMO_BUCKET, Prefix="users/alice/")
    assert listing["Prefix"] == "users/alice/"
    client.list_multipart_uploads(Bucket=DEMO_BUCKET, Prefix="users/alice/big.bin")
    with pytest.raises(CosServiceError) as whole:
        client.list_objects(Bucket=DEMO_BUCKET, Prefix="")
    assert whole.value.get_status_code() == 403


def test_it_refuses_a_scope_the_policy_does_not_allow_and_names_it(api: Api, alice_token: str) -> None:
    wanted = [scope("PutObject", "users/alice/ok.txt"), scope("PutObject", "users/bob/not-mine.txt")]
    response = api.post("/sts", token=alice_token, json={"scopes": wanted})
    assert response.status_code == 403
    body = response.json()
    assert body["codeDesc"] == "ScopeNotAllowed"
    assert body["code"] == 403
    assert "scope 2" in body["message"]
    assert f"name/cos:PutObject on {DEMO_BUCKET}/users/bob/not-mine.txt" in body["message"]
    audit.drain()
    assert not IssuedCredential.objects.exists()


def test_it_refuses_malformed_scopes(api: Api, alice_token: str) -> None:
    bad_action = api.post("/sts", token=alice_token, json={"scopes": [scope("PutObject", "x") | {"action": "cos:Put"}]})
    assert bad_action.status_code == 400
    assert bad_action.json()["codeDesc"] == "InvalidScope"
    assert "name/cos:PutObject" in bad_action.json()["message"]

    bad_bucket = api.post("/sts", token=alice_token, json={"scopes": [scope("PutObject", "x", bucket="Demo")]})
    assert bad_bucket.status_code == 400
    assert "bucket" in bad_bucket.json()["message"]

    missing = api.post("/sts", token=alice_token, json={"scopes": [{"action": "name/cos:PutObject"}]})
    assert missing.status_code == 400
    assert missing.json()["codeDesc"] == "ValidationError"
    assert "scopes[0].bucket: This field is required." in missing.json()["message"]
