"""No client holding credentials from /sign or /sts can create an object larger than its policy's limit, or of a type
it forbids, by any sequence of multipart calls: a size- or type-limited policy hands out single uploads only, and COS
(localcloud) holds each single upload to the limit. Driven with the real cos-python-sdk-v5 over every multipart path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION, make_policy, make_token, make_user
from tests.signer.conftest import Api

MiB = 1024 * 1024
LIMIT = 2 * MiB


def credentials(api: Api, endpoint: str, token: str) -> dict[str, str]:
    response = api.get(endpoint, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    if endpoint == "/sign":
        creds = body["data"]["credentials"]
        return {"id": creds["tmpSecretId"], "key": creds["tmpSecretKey"], "token": creds["sessionToken"]}
    creds = body["credentials"]
    return {"id": creds["tmpSecretId"], "key": creds["tmpSecretKey"], "token": creds["sessionToken"]}


def denied(call: Callable[[], object]) -> str:
    with pytest.raises(CosServiceError) as error:
        call()
    assert error.value.get_status_code() == 403
    return str(error.value.get_error_code())


def absent(root: CosS3Client, key: str) -> bool:
    with pytest.raises(CosServiceError) as error:
        root.head_object(Bucket=DEMO_BUCKET, Key=key)
    return error.value.get_status_code() == 404


@pytest.fixture(params=["/sign", "/sts"])
def limited(request: Any, api: Api, cloud: RunningServer, account: CloudAccount, bucket: str) -> CosS3Client:
    """alice's client under "read-write own prefix" limited to 2 MiB of images, from /sign or /sts."""
    policy = make_policy(
        account,
        name="small images",
        max_object_size=LIMIT,
        allowed_content_types="image/*",
        preset="read-write own prefix",
    )
    alice = make_user("alice", policy=policy)
    creds = credentials(api, request.param, make_token(alice))
    return cos_client(cloud, creds["id"], creds["key"], creds["token"])


@pytest.fixture
def root(cloud: RunningServer) -> CosS3Client:
    return cos_client(cloud)


@pytest.fixture
def key() -> str:
    """A name of alice's no test has used (the demo bucket outlives a test)."""
    return f"users/alice/{uuid.uuid4().hex}.jpg"


def test_it_refuses_to_initiate_a_multipart_upload(limited: CosS3Client, root: CosS3Client, key: str) -> None:
    assert denied(lambda: limited.create_multipart_upload(Bucket=DEMO_BUCKET, Key=key, ContentType="image/jpeg")) == (
        "AccessDenied"
    )
    assert absent(root, key)


def test_it_refuses_parts_and_completion_of_an_upload_someone_else_initiated(
    limited: CosS3Client, root: CosS3Client, key: str
) -> None:
    """An upload id the client did not get from its own credentials (another tool, an older policy): parts each
    under the limit, then the completion, are refused; and so is replacing a part the owner uploaded."""
    upload_id = root.create_multipart_upload(Bucket=DEMO_BUCKET, Key=key, ContentType="image/jpeg")["UploadId"]
    owner_etag = root.upload_part(Bucket=DEMO_BUCKET, Key=key, Body=b"\xff" * MiB, PartNumber=1, UploadId=upload_id)[
        "ETag"
    ]
    for number in (2, 3):  # each under the limit, together over it
        assert denied(
            lambda number=number: limited.upload_part(
                Bucket=DEMO_BUCKET, Key=key, Body=b"\xff" * MiB, PartNumber=number, UploadId=upload_id
            )
        ) == ("AccessDenied")
    # A part replaced after the owner uploaded (and perhaps checked) it.
    assert denied(
        lambda: limited.upload_part(Bucket=DEMO_BUCKET, Key=key, Body=b"\0" * MiB, PartNumber=1, UploadId=upload_id)
    ) == ("AccessDenied")
    parts = {"Part": [{"PartNumber": "1", "ETag": owner_etag}]}
    assert denied(
        lambda: limited.complete_multipart_upload(
            Bucket=DEMO_BUCKET, Key=key, UploadId=upload_id, MultipartUpload=parts
        )
    ) == ("AccessDenied")
    assert absent(root, key)
    listed = root.list_parts(Bucket=DEMO_BUCKET, Key=key, UploadId=upload_id)["Part"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == [("1", owner_etag)]
    # The client may still clear the unfinished upload away: aborting creates nothing.
    limited.abort_multipart_upload(Bucket=DEMO_BUCKET, Key=key, UploadId=upload_id)


def test_the_sdks_upload_file_helper_cannot_go_over_the_limit(
    limited: CosS3Client, root: CosS3Client, key: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff" * (3 * MiB))
    # Over 1 MiB parts: the helper goes multipart, and its first request is refused.
    with pytest.raises(CosServiceError):
        limited.upload_file(Bucket=DEMO_BUCKET, Key=key, LocalFilePath=str(big), PartSize=1, ContentType="image/jpeg")
    assert absent(root, key)
    # As one request it is over the limit.
    with pytest.raises(CosServiceError):
        limited.upload_file(Bucket=DEMO_BUCKET, Key=key, LocalFilePath=str(big), PartSize=5, ContentType="image/jpeg")
    assert absent(root, key)
    # Under the limit, as one request, it works.
    small = tmp_path / "small.jpg"
    small.write_bytes(b"\xff" * MiB)
    limited.upload_file(Bucket=DEMO_BUCKET, Key=key, LocalFilePath=str(small), PartSize=5, ContentType="image/jpeg")
    assert int(root.head_object(Bucket=DEMO_BUCKET, Key=key)["Content-Length"]) == MiB


def test_a_forbidden_type_cannot_come_in_through_multipart(limited: CosS3Client, root: CosS3Client) -> None:
    assert denied(
        lambda: limited.create_multipart_upload(Bucket=DEMO_BUCKET, Key="users/alice/a.txt", ContentType="text/plain")
    ) == ("AccessDenied")
    assert denied(
        lambda: limited.put_object(Bucket=DEMO_BUCKET, Key="users/alice/a.txt", Body=b"text", ContentType="text/plain")
    ) == ("AccessDenied")
    assert absent(root, "users/alice/a.txt")


def test_scopes_cannot_ask_for_multipart_under_a_limit(api: Api, account: CloudAccount, bucket: str) -> None:
    policy = make_policy(account, name="small", max_object_size=LIMIT, preset="read-write own prefix")
    alice = make_user("alice", policy=policy)
    scope = {
        "action": "name/cos:InitiateMultipartUpload",
        "bucket": DEMO_BUCKET,
        "region": REGION,
        "prefix": "users/alice/a.jpg",
    }
    response = api.post("/sts", token=make_token(alice), json={"scopes": [scope]})
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "ScopeNotAllowed"
