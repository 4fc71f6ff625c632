"""What an object keeps from its upload and gives back on HEAD and GET: x-cos-meta-*, Cache-Control,
Content-Disposition, Content-Encoding, Expires, a Content-Type from the key's extension when none was sent, and the
response-* overrides of GET."""

from __future__ import annotations

import requests
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import REGION, bucket_host

KEPT = {
    "CacheControl": ("Cache-Control", "max-age=60"),
    "ContentDisposition": ("Content-Disposition", 'attachment; filename="report.pdf"'),
    "ContentEncoding": ("Content-Encoding", "gzip"),
    "Expires": ("Expires", "Wed, 21 Oct 2099 07:28:00 GMT"),
}


def test_it_keeps_the_headers_of_a_simple_upload(root: CosS3Client, bucket: str) -> None:
    root.put_object(
        Bucket=bucket,
        Key="r.bin",
        Body=b"data",
        ContentType="application/pdf",
        Metadata={"x-cos-meta-author": "alice", "x-cos-meta-project": "cos"},
        **{name: value for name, (_, value) in KEPT.items()},
    )
    for answer in (root.head_object(Bucket=bucket, Key="r.bin"), root.get_object(Bucket=bucket, Key="r.bin")):
        assert answer["Content-Type"] == "application/pdf"
        assert answer["x-cos-meta-author"] == "alice"
        assert answer["x-cos-meta-project"] == "cos"
        for header, value in KEPT.values():
            assert answer[header] == value


def test_it_keeps_the_headers_given_when_a_multipart_upload_starts(root: CosS3Client, bucket: str) -> None:
    upload = root.create_multipart_upload(
        Bucket=bucket, Key="big.bin", ContentType="video/mp4", CacheControl="no-cache", Metadata={"x-cos-meta-a": "1"}
    )["UploadId"]
    etag = root.upload_part(Bucket=bucket, Key="big.bin", Body=b"part", PartNumber=1, UploadId=upload)["ETag"]
    root.complete_multipart_upload(
        Bucket=bucket, Key="big.bin", UploadId=upload, MultipartUpload={"Part": [{"PartNumber": 1, "ETag": etag}]}
    )
    head = root.head_object(Bucket=bucket, Key="big.bin")
    assert head["Content-Type"] == "video/mp4"
    assert head["Cache-Control"] == "no-cache"
    assert head["x-cos-meta-a"] == "1"


def test_it_takes_the_content_type_from_the_extension_when_none_is_sent(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    host = bucket_host(localcloud, bucket)
    guesses = (("photo.png", "image/png"), ("notes.txt", "text/plain"), ("blob", "application/octet-stream"))
    for key, expected in guesses:
        auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", key, headers={"host": host})
        sent = requests.put(
            f"{localcloud.url}/cos/{REGION}/{bucket}/{key}", data=b"x", headers={"Authorization": auth}, timeout=10
        )
        assert sent.status_code == 200
        assert "Content-Type" not in sent.request.headers
        assert root.head_object(Bucket=bucket, Key=key)["Content-Type"] == expected
    root.put_object(Bucket=bucket, Key="sdk.png", Body=b"x")  # cos-python-sdk-v5 sends no Content-Type of its own
    assert root.head_object(Bucket=bucket, Key="sdk.png")["Content-Type"] == "image/png"
    root.put_object(Bucket=bucket, Key="page.png", Body=b"x", ContentType="text/html")
    assert root.head_object(Bucket=bucket, Key="page.png")["Content-Type"] == "text/html"


def test_it_overrides_headers_with_response_parameters_on_get(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x", ContentType="text/plain", CacheControl="max-age=1")
    answer = root.get_object(
        Bucket=bucket,
        Key="a.txt",
        ResponseContentType="application/json",
        ResponseCacheControl="no-store",
        ResponseContentDisposition="attachment",
    )
    assert answer["Content-Type"] == "application/json"
    assert answer["Cache-Control"] == "no-store"
    assert answer["Content-Disposition"] == "attachment"
    assert root.head_object(Bucket=bucket, Key="a.txt")["Content-Type"] == "text/plain"
