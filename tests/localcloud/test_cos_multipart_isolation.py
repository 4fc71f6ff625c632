"""Multipart requests are authorized before anything is looked up, so nothing leaks through the lookups: a caller the
key is not granted to gets the same 403 AccessDenied whether or not the upload exists and whatever ETag it guesses; a
caller granted it under conditions still gets the lookups' answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.credentials import IssuedCredentials
from tests.localcloud.conftest import allow, cos_error, md5_hex, policy, resource


def test_it_answers_a_stranger_403_before_looking_up_uploads_or_parts(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[..., CosS3Client],
) -> None:
    key = "users/alice/big.bin"
    upload_id = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    root.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"guessable")
    bob = temporary_client(issue(policy(allow(["name/cos:*"], [resource(bucket, "users/bob/*")])), name="bob"))
    right, wrong = md5_hex(b"guessable"), "0" * 32
    calls: dict[str, Callable[[], Any]] = {
        "complete, right ETag": lambda: bob.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": [{"PartNumber": 1, "ETag": right}]}
        ),
        "complete, wrong ETag": lambda: bob.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": [{"PartNumber": 1, "ETag": wrong}]}
        ),
        "complete, no such upload": lambda: bob.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId="0" * 40, MultipartUpload={"Part": [{"PartNumber": 1, "ETag": right}]}
        ),
        "part, her upload": lambda: bob.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"x"
        ),
        "part, no such upload": lambda: bob.upload_part(
            Bucket=bucket, Key=key, UploadId="0" * 40, PartNumber=2, Body=b"x"
        ),
        "part, no such bucket": lambda: bob.upload_part(
            Bucket="nothing-1250000000", Key=key, UploadId="0" * 40, PartNumber=2, Body=b"x"
        ),
        "list parts": lambda: bob.list_parts(Bucket=bucket, Key=key, UploadId=upload_id),
        "list parts, no such upload": lambda: bob.list_parts(Bucket=bucket, Key=key, UploadId="0" * 40),
        "abort, no such upload": lambda: bob.abort_multipart_upload(Bucket=bucket, Key=key, UploadId="0" * 40),
    }
    for name, call in calls.items():
        with pytest.raises(CosServiceError) as excinfo:
            call()
        assert cos_error(excinfo)[:2] == (403, "AccessDenied"), name
    assert root.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Part"][0]["Size"] == "9"


def test_it_still_answers_lookups_to_a_caller_granted_the_key_under_conditions(
    bucket: str, issue: Callable[..., IssuedCredentials], temporary_client: Callable[..., CosS3Client]
) -> None:
    condition = {"string_equal": {"cos:content-type": "video/mp4"}}
    granted = allow(["name/cos:*"], [resource(bucket, "users/alice/*")], condition)
    alice = temporary_client(issue(policy(granted)))
    with pytest.raises(CosServiceError) as excinfo:
        alice.upload_part(
            Bucket=bucket,
            Key="users/alice/a.mp4",
            UploadId="0" * 40,
            PartNumber=1,
            Body=b"x",
            ContentType="video/mp4",  # the part's own type meets the condition (COS judges each request by itself)
        )
    assert cos_error(excinfo)[:2] == (404, "NoSuchUpload")
