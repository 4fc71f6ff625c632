"""Server-side encryption headers through cos-python-sdk-v5: SSE-COS stored and echoed, SSE-C's key checked and required
again (never stored in clear), and what localcloud lacks (SSE-KMS, other storage classes) refused, not ignored."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from tests.localcloud.conftest import cos_error


def customer_key() -> dict[str, str]:
    key = os.urandom(32)
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(key).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),  # noqa: S324 - the protocol's
    }


def test_it_stores_and_echoes_sse_cos(root: CosS3Client, bucket: str) -> None:
    put = root.put_object(Bucket=bucket, Key="s.txt", Body=b"secret", ServerSideEncryption="AES256")
    assert put["x-cos-server-side-encryption"] == "AES256"
    assert root.head_object(Bucket=bucket, Key="s.txt")["x-cos-server-side-encryption"] == "AES256"
    got = root.get_object(Bucket=bucket, Key="s.txt")
    assert got["x-cos-server-side-encryption"] == "AES256"
    assert got["Body"].get_raw_stream().read() == b"secret"


def test_it_echoes_sse_cos_on_a_multipart_upload(root: CosS3Client, bucket: str) -> None:
    started = root.create_multipart_upload(Bucket=bucket, Key="big.bin", ServerSideEncryption="AES256")
    upload_id = started["UploadId"]
    part = root.upload_part(Bucket=bucket, Key="big.bin", Body=b"x" * 1024, PartNumber=1, UploadId=upload_id)
    done = root.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["x-cos-server-side-encryption"] == "AES256"
    assert root.head_object(Bucket=bucket, Key="big.bin")["x-cos-server-side-encryption"] == "AES256"


def test_it_requires_the_same_customer_key_to_read(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    key = customer_key()
    put = root.put_object(Bucket=bucket, Key="c.txt", Body=b"mine", **key)
    assert put["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
    assert put["x-cos-server-side-encryption-customer-key-MD5"] == key["SSECustomerKeyMD5"]

    got = root.get_object(Bucket=bucket, Key="c.txt", **key)
    assert got["Body"].get_raw_stream().read() == b"mine"
    assert got["x-cos-server-side-encryption-customer-key-MD5"] == key["SSECustomerKeyMD5"]
    head = root.head_object(Bucket=bucket, Key="c.txt", **key)
    assert "x-localcloud-sse-c-key-hash" not in {name.lower() for name in head}

    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="c.txt")
    assert cos_error(excinfo)[:2] == (400, "InvalidArgument")
    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="c.txt", **customer_key())
    assert cos_error(excinfo)[:2] == (403, "AccessDenied")

    # A conditional GET does not confirm the ETag without the key either.
    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="c.txt", IfNoneMatch=put["ETag"])
    assert cos_error(excinfo)[:2] == (400, "InvalidArgument")

    # The key is never on disk in clear (nor base64).
    data = Path(localcloud.app.config.data_dir)
    raw_key = base64.b64decode(key["SSECustomerKey"])
    for path in data.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert raw_key not in content, path
            assert key["SSECustomerKey"].encode() not in content, path


def test_it_refuses_a_customer_key_whose_md5_does_not_match(root: CosS3Client, bucket: str) -> None:
    key = customer_key()
    key["SSECustomerKeyMD5"] = customer_key()["SSECustomerKeyMD5"]
    with pytest.raises(CosServiceError) as excinfo:
        root.put_object(Bucket=bucket, Key="bad.txt", Body=b"x", **key)
    assert cos_error(excinfo)[:2] == (400, "InvalidArgument")


def test_it_refuses_kms_and_storage_classes_it_does_not_have(root: CosS3Client, bucket: str) -> None:
    for extra, status, code in [
        ({"ServerSideEncryption": "cos/kms"}, 501, "NotImplemented"),
        ({"ServerSideEncryption": "DES"}, 400, "InvalidArgument"),
        ({"StorageClass": "ARCHIVE"}, 501, "NotImplemented"),
        ({"StorageClass": "STANDARD_IA"}, 501, "NotImplemented"),
        ({"StorageClass": "SHINY"}, 400, "InvalidArgument"),
    ]:
        with pytest.raises(CosServiceError) as excinfo:
            root.put_object(Bucket=bucket, Key="refused.txt", Body=b"x", **extra)
        assert cos_error(excinfo)[:2] == (status, code), extra
        with pytest.raises(CosServiceError):
            root.head_object(Bucket=bucket, Key="refused.txt")
    root.put_object(Bucket=bucket, Key="standard.txt", Body=b"x", StorageClass="STANDARD")
    assert root.head_object(Bucket=bucket, Key="standard.txt")["x-cos-storage-class"] == "STANDARD"
