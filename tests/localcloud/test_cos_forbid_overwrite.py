"""`x-cos-forbid-overwrite: true` on PUT Object, Initiate and Complete Multipart Upload (409 FileAlreadyExists), and
the CAM condition key `cos:x-cos-forbid-overwrite` that lets credentials demand it. Real cos-python-sdk-v5."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.credentials import IssuedCredentials
from tests.localcloud.conftest import allow, cos_error, policy, resource

Issue = Callable[..., IssuedCredentials]
TemporaryClient = Callable[..., CosS3Client]
# The SDK has no parameter for the header; `Metadata` entries are sent as headers as they are.
FORBID = {"Metadata": {"x-cos-forbid-overwrite": "true"}}


def refused(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(CosServiceError) as excinfo:
        call()
    return cos_error(excinfo)[:2]


def body(client: CosS3Client, bucket: str, key: str) -> bytes:
    data: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read()
    return data


def test_it_refuses_to_replace_an_object_on_a_put_that_forbids_it(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"first", **FORBID)
    assert refused(lambda: root.put_object(Bucket=bucket, Key="a.txt", Body=b"second", **FORBID)) == (
        409,
        "FileAlreadyExists",
    )
    assert body(root, bucket, "a.txt") == b"first"
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"third", Metadata={"x-cos-forbid-overwrite": "false"})
    assert body(root, bucket, "a.txt") == b"third"


def test_it_refuses_overwrites_at_initiate_and_at_complete(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="taken.bin", Body=b"kept")
    assert refused(lambda: root.create_multipart_upload(Bucket=bucket, Key="taken.bin", **FORBID)) == (
        409,
        "FileAlreadyExists",
    )

    # The key is free at Initiate and taken before Complete: Complete with the header refuses.
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="late.bin", **FORBID)["UploadId"]
    etag = root.upload_part(Bucket=bucket, Key="late.bin", Body=b"part", PartNumber=1, UploadId=upload_id)["ETag"]
    root.put_object(Bucket=bucket, Key="late.bin", Body=b"someone else")
    parts = {"Part": [{"PartNumber": "1", "ETag": etag}]}
    assert refused(
        lambda: root.complete_multipart_upload(
            Bucket=bucket, Key="late.bin", UploadId=upload_id, MultipartUpload=parts, **FORBID
        )
    ) == (409, "FileAlreadyExists")
    assert body(root, bucket, "late.bin") == b"someone else"
    # The upload is still there: completing without the header replaces the object, as COS does.
    root.complete_multipart_upload(Bucket=bucket, Key="late.bin", UploadId=upload_id, MultipartUpload=parts)
    assert body(root, bucket, "late.bin") == b"part"


def test_credentials_can_demand_the_header_with_the_condition_key(
    root: CosS3Client, bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    demanding = policy(
        allow(
            ["name/cos:PutObject", "name/cos:InitiateMultipartUpload", "name/cos:CompleteMultipartUpload"],
            [resource(bucket, "users/alice/*")],
            {"string_equal": {"cos:x-cos-forbid-overwrite": "true"}},
        ),
        allow(["name/cos:UploadPart"], [resource(bucket, "users/alice/*")]),
    )
    alice = temporary_client(issue(demanding))
    assert refused(lambda: alice.put_object(Bucket=bucket, Key="users/alice/a.txt", Body=b"x")) == (403, "AccessDenied")
    alice.put_object(Bucket=bucket, Key="users/alice/a.txt", Body=b"new", **FORBID)
    assert refused(lambda: alice.put_object(Bucket=bucket, Key="users/alice/a.txt", Body=b"again", **FORBID)) == (
        409,
        "FileAlreadyExists",
    )

    assert refused(lambda: alice.create_multipart_upload(Bucket=bucket, Key="users/alice/m.bin")) == (
        403,
        "AccessDenied",
    )
    upload_id = alice.create_multipart_upload(Bucket=bucket, Key="users/alice/m.bin", **FORBID)["UploadId"]
    etag = alice.upload_part(Bucket=bucket, Key="users/alice/m.bin", Body=b"p", PartNumber=1, UploadId=upload_id)[
        "ETag"
    ]
    parts = {"Part": [{"PartNumber": "1", "ETag": etag}]}
    assert refused(
        lambda: alice.complete_multipart_upload(
            Bucket=bucket, Key="users/alice/m.bin", UploadId=upload_id, MultipartUpload=parts
        )
    ) == (403, "AccessDenied")
    alice.complete_multipart_upload(
        Bucket=bucket, Key="users/alice/m.bin", UploadId=upload_id, MultipartUpload=parts, **FORBID
    )
    assert body(root, bucket, "users/alice/m.bin") == b"p"
    assert body(root, bucket, "users/alice/a.txt") == b"new"
