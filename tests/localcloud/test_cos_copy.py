"""PUT Object - Copy and Upload Part - Copy, driven by cos-python-sdk-v5 (copy_object, upload_part_copy and the
high-level copy()), with the CAM checks a copy makes: PutObject on the destination, GetObject on the source."""

from __future__ import annotations

import os
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.cos_sdk import REGION
from tests.localcloud.conftest import allow, cos_error, md5_hex, new_bucket_name, policy, resource

OTHER_REGION = "ap-beijing"


def source(bucket: str, key: str, region: str = REGION) -> dict[str, str]:
    return {"Bucket": bucket, "Key": key, "Region": region}


def proxied_client(server: RunningServer, secret_id: str = DEFAULT_SECRET_ID, secret_key: str = DEFAULT_SECRET_KEY,
                   token: str | None = None, region: str = REGION) -> CosS3Client:  # fmt: skip
    """The SDK in its default mode (https off: http), every request sent through localcloud as an HTTP proxy: the
    high-level copy() HEADs its source at `<bucket>.cos.<region>.myqcloud.com` itself, ignoring IP/Port."""
    config = CosConfig(
        Region=region,
        SecretId=secret_id,
        SecretKey=secret_key,
        Token=token,
        Scheme="http",
        Proxies={"http": server.url},
    )
    return CosS3Client(config, retry=1)


def test_it_copies_an_object_in_its_bucket_with_its_metadata(root: CosS3Client, bucket: str) -> None:
    root.put_object(
        Bucket=bucket, Key="a.txt", Body=b"hello copy", ContentType="text/plain", Metadata={"x-cos-meta-owner": "alice"}
    )
    answer = root.copy_object(Bucket=bucket, Key="dir/b.txt", CopySource=source(bucket, "a.txt"))
    assert answer["ETag"] == f'"{md5_hex(b"hello copy")}"'
    assert answer["LastModified"].endswith("Z")
    copied = root.get_object(Bucket=bucket, Key="dir/b.txt")
    assert copied["Body"].get_raw_stream().read() == b"hello copy"
    assert copied["Content-Type"] == "text/plain"
    assert copied["x-cos-meta-owner"] == "alice"


def test_it_replaces_the_metadata_when_asked(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x", ContentType="text/plain", Metadata={"x-cos-meta-a": "1"})
    root.copy_object(
        Bucket=bucket,
        Key="a.txt",
        CopySource=source(bucket, "a.txt"),
        CopyStatus="Replaced",
        ContentType="application/json",
        Metadata={"x-cos-meta-b": "2"},
    )
    head = root.head_object(Bucket=bucket, Key="a.txt")
    assert head["Content-Type"] == "application/json"
    assert head["x-cos-meta-b"] == "2"
    assert "x-cos-meta-a" not in head


def test_it_copies_to_another_bucket_in_another_region(localcloud: RunningServer, root: CosS3Client) -> None:
    far = new_bucket_name("far")
    beijing = proxied_client(localcloud, region=OTHER_REGION)
    beijing.create_bucket(Bucket=far)
    beijing.put_object(Bucket=far, Key="src.bin", Body=b"from beijing")
    near = new_bucket_name("near")
    root.create_bucket(Bucket=near)
    root.copy_object(Bucket=near, Key="dst.bin", CopySource=source(far, "src.bin", OTHER_REGION))
    assert root.get_object(Bucket=near, Key="dst.bin")["Body"].get_raw_stream().read() == b"from beijing"
    with pytest.raises(CosServiceError) as wrong_region:
        root.copy_object(Bucket=near, Key="x", CopySource=source(far, "src.bin", REGION))
    assert cos_error(wrong_region)[:2] == (404, "NoSuchBucket")


def test_it_shares_the_stored_body_instead_of_copying_it(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="big.bin", Body=os.urandom(256 * 1024))
    root.copy_object(Bucket=bucket, Key="twin.bin", CopySource=source(bucket, "big.bin"))
    storage = localcloud.app.cos.storage
    original, twin = storage.get_object(bucket, "big.bin"), storage.get_object(bucket, "twin.bin")
    assert original is not None
    assert twin is not None
    assert original.blob != twin.blob
    assert os.stat(storage.blob_path(original.blob)).st_ino == os.stat(storage.blob_path(twin.blob)).st_ino
    root.delete_object(Bucket=bucket, Key="big.bin")
    assert len(root.get_object(Bucket=bucket, Key="twin.bin")["Body"].get_raw_stream().read()) == 256 * 1024


def test_it_copies_a_multipart_object(root: CosS3Client, bucket: str) -> None:
    parts = [os.urandom(1024 * 1024), b"tail"]
    upload = root.create_multipart_upload(Bucket=bucket, Key="mp.bin")["UploadId"]
    etags = [
        root.upload_part(Bucket=bucket, Key="mp.bin", Body=body, PartNumber=n, UploadId=upload)["ETag"]
        for n, body in enumerate(parts, start=1)
    ]
    done = root.complete_multipart_upload(
        Bucket=bucket,
        Key="mp.bin",
        UploadId=upload,
        MultipartUpload={"Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    answer = root.copy_object(Bucket=bucket, Key="mp-copy.bin", CopySource=source(bucket, "mp.bin"))
    assert answer["ETag"] == done["ETag"]
    root.delete_object(Bucket=bucket, Key="mp.bin")
    assert root.get_object(Bucket=bucket, Key="mp-copy.bin")["Body"].get_raw_stream().read() == b"".join(parts)


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("CopySourceIfMatch", '"0123456789abcdef0123456789abcdef"'),
        ("CopySourceIfNoneMatch", "<etag>"),
        ("CopySourceIfModifiedSince", formatdate(4102444800, usegmt=True)),  # 2100
        ("CopySourceIfUnmodifiedSince", formatdate(946684800, usegmt=True)),  # 2000
    ],
)
def test_it_refuses_a_copy_whose_source_condition_fails(
    root: CosS3Client, bucket: str, condition: str, value: str
) -> None:
    etag = root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")["ETag"]
    with pytest.raises(CosServiceError) as failed:
        root.copy_object(
            Bucket=bucket, Key="b.txt", CopySource=source(bucket, "a.txt"), **{condition: value.replace("<etag>", etag)}
        )
    assert cos_error(failed)[:2] == (412, "PreconditionFailed")
    assert root.object_exists(Bucket=bucket, Key="b.txt") is False


def test_it_copies_when_the_source_conditions_hold(root: CosS3Client, bucket: str) -> None:
    etag = root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")["ETag"]
    root.copy_object(
        Bucket=bucket,
        Key="b.txt",
        CopySource=source(bucket, "a.txt"),
        CopySourceIfMatch=etag,
        CopySourceIfUnmodifiedSince=formatdate(4102444800, usegmt=True),
    )
    assert root.object_exists(Bucket=bucket, Key="b.txt") is True


def test_it_answers_no_such_key_for_a_missing_source(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as missing:
        root.copy_object(Bucket=bucket, Key="b.txt", CopySource=source(bucket, "nothing.txt"))
    assert cos_error(missing)[:2] == (404, "NoSuchKey")


def test_it_copies_parts_by_range(root: CosS3Client, bucket: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    root.put_object(Bucket=bucket, Key="src.bin", Body=data)
    upload = root.create_multipart_upload(Bucket=bucket, Key="dst.bin")["UploadId"]
    split = 2 * 1024 * 1024
    first = root.upload_part_copy(
        Bucket=bucket,
        Key="dst.bin",
        PartNumber=1,
        UploadId=upload,
        CopySource=source(bucket, "src.bin"),
        CopySourceRange=f"bytes=0-{split - 1}",
    )
    second = root.upload_part_copy(
        Bucket=bucket,
        Key="dst.bin",
        PartNumber=2,
        UploadId=upload,
        CopySource=source(bucket, "src.bin"),
        CopySourceRange=f"bytes={split}-{len(data) - 1}",
    )
    assert first["ETag"] == f'"{md5_hex(data[:split])}"'
    assert second["LastModified"].endswith("Z")
    root.complete_multipart_upload(
        Bucket=bucket,
        Key="dst.bin",
        UploadId=upload,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]},
    )
    assert root.get_object(Bucket=bucket, Key="dst.bin")["Body"].get_raw_stream().read() == data
    with pytest.raises(CosServiceError) as beyond:
        root.upload_part_copy(
            Bucket=bucket,
            Key="dst.bin",
            PartNumber=1,
            UploadId=root.create_multipart_upload(Bucket=bucket, Key="dst.bin")["UploadId"],
            CopySource=source(bucket, "src.bin"),
            CopySourceRange=f"bytes=0-{len(data)}",
        )
    assert cos_error(beyond)[:2] == (400, "InvalidArgument")


def test_it_serves_the_sdk_copy_helper_through_part_copies(localcloud: RunningServer, root: CosS3Client) -> None:
    """copy() copies across regions part by part (upload_part_copy); a small threshold makes 3 MiB enough."""
    far = new_bucket_name("far")
    beijing = proxied_client(localcloud, region=OTHER_REGION)
    beijing.create_bucket(Bucket=far)
    data = os.urandom(3 * 1024 * 1024 + 5)
    beijing.put_object(Bucket=far, Key="src.bin", Body=data)
    near = new_bucket_name("near")
    client = proxied_client(localcloud)
    client.create_bucket(Bucket=near)
    client._conf.set_copy_part_threshold_size(1024 * 1024)
    client.copy(Bucket=near, Key="dst.bin", CopySource=source(far, "src.bin", OTHER_REGION), PartSize=1)
    assert root.get_object(Bucket=near, Key="dst.bin")["Body"].get_raw_stream().read() == data
    assert localcloud.app.stats.snapshot().get("cos:UploadPartCopy", 0) >= 4


def _copy_policy(bucket: str, *, source_read: bool, destination_write: bool) -> dict[str, Any]:
    statements = [allow(["name/cos:GetObject", "name/cos:HeadObject"], [resource(bucket, "in/*")])]
    if not source_read:
        statements = [allow(["name/cos:HeadObject"], [resource(bucket, "in/*")])]
    if destination_write:
        statements.append(
            allow(
                ["name/cos:PutObject", "name/cos:InitiateMultipartUpload", "name/cos:CompleteMultipartUpload"],
                [resource(bucket, "out/*")],
            )
        )
    return policy(*statements)


@pytest.mark.parametrize(
    ("source_read", "destination_write", "allowed"),
    [(True, True, True), (False, True, False), (True, False, False)],
)
def test_it_needs_get_object_on_the_source_and_put_object_on_the_destination(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
    source_read: bool,
    destination_write: bool,
    allowed: bool,
) -> None:
    root.put_object(Bucket=bucket, Key="in/a.txt", Body=b"copy me")
    client = temporary_client(issue(_copy_policy(bucket, source_read=source_read, destination_write=destination_write)))
    if allowed:
        client.copy_object(Bucket=bucket, Key="out/a.txt", CopySource=source(bucket, "in/a.txt"))
        assert root.get_object(Bucket=bucket, Key="out/a.txt")["Body"].get_raw_stream().read() == b"copy me"
        return
    with pytest.raises(CosServiceError) as denied:
        client.copy_object(Bucket=bucket, Key="out/a.txt", CopySource=source(bucket, "in/a.txt"))
    assert cos_error(denied)[:2] == (403, "AccessDenied")
    upload = root.create_multipart_upload(Bucket=bucket, Key="out/a.txt")["UploadId"]
    with pytest.raises(CosServiceError) as part_denied:
        client.upload_part_copy(
            Bucket=bucket, Key="out/a.txt", PartNumber=1, UploadId=upload, CopySource=source(bucket, "in/a.txt")
        )
    assert cos_error(part_denied)[:2] == (403, "AccessDenied")
    assert root.object_exists(Bucket=bucket, Key="out/a.txt") is False


def test_it_lets_a_caller_copy_a_public_read_source_it_has_no_policy_for(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
) -> None:
    """The reference: the caller needs read permission on the source, or the source is public-read."""
    root.put_object(Bucket=bucket, Key="shared/open.txt", Body=b"open", ACL="public-read")
    root.put_object(Bucket=bucket, Key="shared/closed.txt", Body=b"closed")
    writer = temporary_client(issue(policy(allow(["name/cos:PutObject"], [resource(bucket, "out/*")]))))
    writer.copy_object(Bucket=bucket, Key="out/open.txt", CopySource=source(bucket, "shared/open.txt"))
    assert root.get_object(Bucket=bucket, Key="out/open.txt")["Body"].get_raw_stream().read() == b"open"
    with pytest.raises(CosServiceError) as denied:
        writer.copy_object(Bucket=bucket, Key="out/closed.txt", CopySource=source(bucket, "shared/closed.txt"))
    assert cos_error(denied)[:2] == (403, "AccessDenied")
