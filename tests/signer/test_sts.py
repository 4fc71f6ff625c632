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
from signer.presets import preset_statements
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION, make_policy, make_token, make_user
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


@pytest.mark.parametrize(
    ("deny", "allowed", "refused"),
    [
        # Uploads over 10 bytes are denied: a small one goes through, a large one to a key in the scopes does not.
        (
            {"action": ["name/cos:PutObject"], "condition": {"numeric_greater_than_equal": {"cos:content-length": 11}}},
            lambda client: client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/a.txt", Body=b"small"),
            lambda client: client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/b.txt", Body=b"x" * 20),
        ),
        # Reads are denied from outside 10.0.0.0/8 (the tests call localcloud from 127.0.0.1).
        (
            {"action": ["name/cos:GetObject"], "condition": {"ip_not_equal": {"qcs:ip": ["10.0.0.0/8"]}}},
            lambda client: client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/a.txt", Body=b"small"),
            lambda client: client.get_object(Bucket=DEMO_BUCKET, Key="users/alice/a.txt"),
        ),
    ],
    ids=["size", "network"],
)
def test_it_keeps_the_policys_conditional_denials_in_scoped_credentials(
    api: Api, cloud: RunningServer, account: Any, bucket: str, deny: dict[str, Any], allowed: Any, refused: Any
) -> None:
    statements = [
        *preset_statements("read-write own prefix", bucket=bucket, region=REGION),
        {"effect": "deny", "resource": ["*"], **deny},
    ]
    alice = make_user("alice", policy=make_policy(account, name="with a denial", statements=statements))
    wanted = [
        scope(action, f"users/alice/{key}") for action in ("PutObject", "GetObject") for key in ("a.txt", "b.txt")
    ]
    sts = parse_like_cos_sts_client(api.post("/sts", token=make_token(alice), json={"scopes": wanted}))
    client = cos_client(cloud, sts["id"], sts["key"], sts["token"])

    allowed(client)
    with pytest.raises(CosServiceError) as denied:
        refused(client)
    assert denied.value.get_status_code() == 403
    assert denied.value.get_error_code() == "AccessDenied"
