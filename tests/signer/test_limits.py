"""A policy's upload limits become CAM conditions that localcloud enforces on the issued credentials."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from qcloud import policy as cam
from signer.limits import Limits, apply
from signer.models import CloudAccount
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION, make_policy, make_token, make_user
from tests.signer.conftest import Api

MiB = 1024 * 1024


def client_for(api: Api, cloud: RunningServer, user: Any, **body: Any) -> Any:
    response = api.post("/sts", token=make_token(user), json=body)
    assert response.status_code == 200, response.text
    creds = response.json()["credentials"]
    return cos_client(cloud, creds["tmpSecretId"], creds["tmpSecretKey"], creds["sessionToken"])


def refused(action: Any) -> int:
    with pytest.raises(CosServiceError) as error:
        action()
    assert error.value.get_error_code() == "AccessDenied"
    return int(error.value.get_status_code())


@pytest.fixture
def images_only(account: CloudAccount, bucket: str) -> Any:
    policy = make_policy(
        account, name="images", preset="read-write own prefix", max_object_size=5 * MiB, allowed_content_types="image/*"
    )
    return make_user("alice", policy=policy)


def test_it_limits_single_uploads_by_size_and_type(api: Api, cloud: RunningServer, images_only: Any) -> None:
    client = client_for(api, cloud, images_only)
    key = "users/alice/"
    client.put_object(Bucket=DEMO_BUCKET, Key=key + "ok.jpg", Body=b"\xff" * (4 * MiB), ContentType="image/jpeg")
    assert refused(lambda: client.put_object(Bucket=DEMO_BUCKET, Key=key + "big.jpg", Body=b"\xff" * (6 * MiB),
                                             ContentType="image/jpeg")) == 403  # fmt: skip
    assert refused(lambda: client.put_object(Bucket=DEMO_BUCKET, Key=key + "notes.txt", Body=b"text",
                                             ContentType="text/plain")) == 403  # fmt: skip
    # Other actions of the same statement are not held to upload conditions.
    body = client.get_object(Bucket=DEMO_BUCKET, Key=key + "ok.jpg")["Body"].get_raw_stream().read()
    assert len(body) == 4 * MiB
    client.list_objects(Bucket=DEMO_BUCKET, Prefix=key)


def test_scoped_credentials_keep_the_limits(api: Api, cloud: RunningServer, images_only: Any) -> None:
    scope = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/s.jpg"}
    client = client_for(api, cloud, images_only, scopes=[scope])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/s.jpg", Body=b"\xff" * MiB, ContentType="image/png")
    assert refused(lambda: client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/s.jpg", Body=b"\xff" * (6 * MiB),
                                             ContentType="image/png")) == 403  # fmt: skip


@pytest.mark.parametrize(("networks", "works"), [("127.0.0.0/8, 10.0.0.0/8", True), ("203.0.113.0/24", False)])
def test_it_limits_client_networks(
    api: Api, cloud: RunningServer, account: CloudAccount, bucket: str, networks: str, works: bool
) -> None:
    policy = make_policy(account, name="office", preset="read-write own prefix", allowed_networks=networks)
    client = client_for(api, cloud, make_user("bob", policy=policy))
    put = lambda: client.put_object(Bucket=DEMO_BUCKET, Key="users/bob/a.txt", Body=b"x")  # noqa: E731
    listing = lambda: client.list_objects(Bucket=DEMO_BUCKET, Prefix="users/bob/")  # noqa: E731
    if works:
        put()
        listing()
    else:
        assert refused(put) == 403
        assert refused(listing) == 403


def test_it_turns_limits_into_conditions_on_the_upload_actions_only() -> None:
    policy = cam.parse_policy(
        {"statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["qcs::cos:*:uid/1:b-1/*"]}]}
    )
    limited = apply(
        policy, Limits.from_fields(max_object_size=100, allowed_content_types="image/*", allowed_networks="")
    )
    decide = lambda action, **context: cam.evaluate(  # noqa: E731
        limited, action, "qcs::cos:ap-guangzhou:uid/1:b-1/k", cam.RequestContext(**context)
    ).allowed
    assert decide("name/cos:GetObject")
    assert decide("name/cos:PutObject", content_length=100, content_type="image/png")
    assert not decide("name/cos:PutObject", content_length=101, content_type="image/png")
    assert not decide("name/cos:PutObject", content_length=10, content_type="text/plain")
    # COS judges each request by itself, so a size limit holds on single uploads only: no multipart, copy or append.
    for action in ("InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObjectCopy", "AppendObject"):
        assert not decide(f"name/cos:{action}", content_length=10, content_type="image/png"), action
    assert decide("name/cos:AbortMultipartUpload")
    assert Limits.from_fields(
        max_object_size=5 * MiB, allowed_content_types="image/*", allowed_networks=""
    ).describe() == [
        "Uploads of at most 5 MiB",
        "Only files of type image/*",
        "Each file in a single upload (no multipart uploads)",
    ]


def test_it_keeps_multipart_uploads_for_policies_without_a_size_or_type_limit() -> None:
    policy = cam.parse_policy(
        {"statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["qcs::cos:*:uid/1:b-1/*"]}]}
    )
    limited = apply(
        policy, Limits.from_fields(max_object_size=None, allowed_content_types="", allowed_networks="10.0.0.0/8")
    )
    context = cam.RequestContext(content_length=10 * MiB, ip="10.1.2.3")
    for action in ("InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        assert cam.evaluate(limited, f"name/cos:{action}", "qcs::cos:ap-guangzhou:uid/1:b-1/k", context).allowed


def test_it_forbids_overwriting_through_cos(api: Api, cloud: RunningServer, account: CloudAccount, bucket: str) -> None:
    policy = make_policy(account, name="keep", preset="read-write own prefix", forbid_overwrite=True)
    client = client_for(api, cloud, make_user("carol", policy=policy))
    forbid = {"Metadata": {"x-cos-forbid-overwrite": "true"}}  # the SDK sends Metadata entries as headers
    key = f"users/carol/{uuid.uuid4().hex}.txt"
    assert refused(lambda: client.put_object(Bucket=DEMO_BUCKET, Key=key, Body=b"no header")) == 403
    client.put_object(Bucket=DEMO_BUCKET, Key=key, Body=b"first", **forbid)
    with pytest.raises(CosServiceError) as error:
        client.put_object(Bucket=DEMO_BUCKET, Key=key, Body=b"second", **forbid)
    assert (error.value.get_status_code(), error.value.get_error_code()) == (409, "FileAlreadyExists")
    assert client.get_object(Bucket=DEMO_BUCKET, Key=key)["Body"].get_raw_stream().read() == b"first"
