"""Multipart uploads through cos-python-sdk-v5, the way cos-js-sdk-v5 drives them (list, initiate, parts, complete)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host
from tests.localcloud.conftest import REGION, cos_error, md5_b64, md5_hex

MIB = 1024 * 1024


def parts_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def payload(size: int, seed: bytes = b"seed") -> bytes:
    block = hashlib.sha256(seed).digest() * 4096  # 128 KiB
    return (block * (size // len(block) + 1))[:size]


def multipart_etag(chunks: list[bytes]) -> str:
    digest = hashlib.md5(
        b"".join(hashlib.md5(c, usedforsecurity=False).digest() for c in chunks), usedforsecurity=False
    )
    return f'"{digest.hexdigest()}-{len(chunks)}"'


def test_it_resumes_a_three_part_upload_through_list_parts(root: CosS3Client, bucket: str) -> None:
    data = payload(2 * MIB + 123_456)
    chunks = parts_of(data, MIB)
    key = "users/alice/video.bin"
    upload_id = root.create_multipart_upload(Bucket=bucket, Key=key, ContentType="video/mp4")["UploadId"]

    # First session: parts 1 and 2, then the page is closed.
    for number in (1, 2):
        root.upload_part(Bucket=bucket, Key=key, Body=chunks[number - 1], PartNumber=number, UploadId=upload_id)

    # Second session finds the upload and what it already holds, exactly as cos-js-sdk-v5 checks it.
    uploads = root.list_multipart_uploads(Bucket=bucket, Prefix=key)
    found = uploads["Upload"] if isinstance(uploads["Upload"], list) else [uploads["Upload"]]
    assert [(u["Key"], u["UploadId"]) for u in found] == [(key, upload_id)]
    assert found[0]["Initiated"].endswith("Z")
    listed = root.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    held = {int(p["PartNumber"]): p for p in listed["Part"]}
    assert sorted(held) == [1, 2]
    for number, part in held.items():
        assert part["ETag"] == f'"{md5_hex(chunks[number - 1])}"'
        assert part["Size"] == str(len(chunks[number - 1]))
    assert listed["IsTruncated"] == "false"

    third = root.upload_part(Bucket=bucket, Key=key, Body=chunks[2], PartNumber=3, UploadId=upload_id)
    assert third["ETag"] == f'"{md5_hex(chunks[2])}"'
    parts = [{"PartNumber": str(n), "ETag": f'"{md5_hex(c)}"'} for n, c in enumerate(chunks, start=1)]
    done = root.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": parts})
    assert done["ETag"] == multipart_etag(chunks)
    assert done["Key"] == key

    got = root.get_object(Bucket=bucket, Key=key)
    assert got["Body"].get_raw_stream().read() == data
    assert got["Content-Type"] == "video/mp4"
    assert got["ETag"] == multipart_etag(chunks)
    assert "Upload" not in root.list_multipart_uploads(Bucket=bucket, Prefix=key)


def test_it_takes_parts_in_parallel(root: CosS3Client, bucket: str) -> None:
    data = payload(6 * MIB + 5, b"parallel")
    chunks = parts_of(data, MIB)
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="parallel.bin")["UploadId"]

    def send(number: int) -> str:
        result = root.upload_part(
            Bucket=bucket, Key="parallel.bin", Body=chunks[number - 1], PartNumber=number, UploadId=upload_id
        )
        etag: str = result["ETag"]
        return etag

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        etags = list(pool.map(send, range(1, len(chunks) + 1)))
    parts = [{"PartNumber": str(n), "ETag": e} for n, e in enumerate(etags, start=1)]
    root.complete_multipart_upload(
        Bucket=bucket, Key="parallel.bin", UploadId=upload_id, MultipartUpload={"Part": parts}
    )
    assert root.get_object(Bucket=bucket, Key="parallel.bin")["Body"].get_raw_stream().read() == data


def test_it_pages_list_parts(root: CosS3Client, bucket: str) -> None:
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="many.bin")["UploadId"]
    for number in range(1, 6):
        root.upload_part(Bucket=bucket, Key="many.bin", Body=b"p%d" % number, PartNumber=number, UploadId=upload_id)
    first = root.list_parts(Bucket=bucket, Key="many.bin", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in first["Part"]] == ["1", "2"]
    assert first["IsTruncated"] == "true"
    second = root.list_parts(
        Bucket=bucket, Key="many.bin", UploadId=upload_id, MaxParts=10, PartNumberMarker=first["NextPartNumberMarker"]
    )
    assert [p["PartNumber"] for p in second["Part"]] == ["3", "4", "5"]
    assert second["IsTruncated"] == "false"


def test_it_refuses_bad_completions(root: CosS3Client, bucket: str) -> None:
    key = "bad.bin"
    upload_id = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    small = b"too small"
    big = payload(MIB)
    small_etag = root.upload_part(Bucket=bucket, Key=key, Body=small, PartNumber=1, UploadId=upload_id)["ETag"]
    big_etag = root.upload_part(Bucket=bucket, Key=key, Body=big, PartNumber=2, UploadId=upload_id)["ETag"]

    def complete(parts: list[dict[str, str]]) -> tuple[int, str, str]:
        with pytest.raises(CosServiceError) as excinfo:
            root.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": parts})
        return cos_error(excinfo)

    assert complete([{"PartNumber": "1", "ETag": small_etag}, {"PartNumber": "2", "ETag": big_etag}])[:2] == (
        400,
        "EntityTooSmall",
    )
    assert complete([{"PartNumber": "2", "ETag": big_etag}, {"PartNumber": "1", "ETag": small_etag}])[:2] == (
        400,
        "InvalidPartOrder",
    )
    assert complete([{"PartNumber": "2", "ETag": '"0123456789abcdef0123456789abcdef"'}])[:2] == (400, "InvalidPart")
    assert complete([{"PartNumber": "3", "ETag": big_etag}])[:2] == (400, "InvalidPart")

    # A lone small part is fine: only parts before the last must hold 1 MiB.
    root.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": [{"PartNumber": "1", "ETag": small_etag}]}
    )
    assert root.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == small


def test_it_refuses_malformed_completion_xml(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="x.bin")["UploadId"]
    host = bucket_host(localcloud, bucket)
    for body in [
        b"",
        b"<CompleteMultipartUpload>",
        b"<Other/>",
        b"<CompleteMultipartUpload></CompleteMultipartUpload>",
    ]:
        params = {"uploadId": upload_id}
        auth = make_authorization(
            DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "POST", "x.bin", params=params, headers={"host": host}
        )
        response = requests.post(
            f"{localcloud.url}/cos/{REGION}/{bucket}/x.bin",
            params=params,
            data=body,
            headers={"Authorization": auth},
            timeout=10,
        )
        assert response.status_code == 400, body
        assert "<Code>MalformedXML</Code>" in response.text

    # cos-js-sdk-v5 sends the part list with a Content-MD5; a body that does not match it is refused.
    body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"
    params = {"uploadId": upload_id}
    headers = {"host": host, "content-md5": md5_b64(b"something else")}
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "POST", "x.bin", params=params, headers=headers)
    response = requests.post(
        f"{localcloud.url}/cos/{REGION}/{bucket}/x.bin",
        params=params,
        data=body,
        headers={"Authorization": auth, "Content-MD5": headers["content-md5"]},
        timeout=10,
    )
    assert response.status_code == 400
    assert "<Code>BadDigest</Code>" in response.text


def test_it_aborts_uploads_and_forgets_them(root: CosS3Client, bucket: str) -> None:
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="gone.bin")["UploadId"]
    root.upload_part(Bucket=bucket, Key="gone.bin", Body=b"data", PartNumber=1, UploadId=upload_id)
    root.abort_multipart_upload(Bucket=bucket, Key="gone.bin", UploadId=upload_id)
    assert "Upload" not in root.list_multipart_uploads(Bucket=bucket)

    for call in (
        lambda: root.abort_multipart_upload(Bucket=bucket, Key="gone.bin", UploadId=upload_id),
        lambda: root.list_parts(Bucket=bucket, Key="gone.bin", UploadId=upload_id),
        lambda: root.upload_part(Bucket=bucket, Key="gone.bin", Body=b"d", PartNumber=2, UploadId=upload_id),
    ):
        with pytest.raises(CosServiceError) as excinfo:
            call()
        assert cos_error(excinfo)[:2] == (404, "NoSuchUpload")


def test_it_lists_uploads_by_prefix_and_pages_them(root: CosS3Client, bucket: str) -> None:
    ids = {}
    for key in ["users/alice/a.bin", "users/alice/b.bin", "users/bob/c.bin"]:
        ids[key] = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    second_a = root.create_multipart_upload(Bucket=bucket, Key="users/alice/a.bin")["UploadId"]

    alice = root.list_multipart_uploads(Bucket=bucket, Prefix="users/alice/")
    assert [u["Key"] for u in alice["Upload"]] == ["users/alice/a.bin"] * 2 + ["users/alice/b.bin"]
    assert {u["UploadId"] for u in alice["Upload"]} == {ids["users/alice/a.bin"], second_a, ids["users/alice/b.bin"]}

    seen = []
    key_marker = upload_marker = ""
    while True:
        page = root.list_multipart_uploads(
            Bucket=bucket, Prefix="users/", MaxUploads=1, KeyMarker=key_marker, UploadIdMarker=upload_marker
        )
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Upload", [])]
        if page["IsTruncated"] == "false":
            break
        key_marker, upload_marker = page["NextKeyMarker"], page["NextUploadIdMarker"]
    assert len(seen) == 4
    assert len(set(seen)) == 4

    grouped = root.list_multipart_uploads(Bucket=bucket, Prefix="users/", Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["users/alice/", "users/bob/"]


def test_it_refuses_a_bucket_with_unfinished_uploads(root: CosS3Client, bucket: str) -> None:
    upload_id = root.create_multipart_upload(Bucket=bucket, Key="pending.bin")["UploadId"]
    with pytest.raises(CosServiceError) as excinfo:
        root.delete_bucket(Bucket=bucket)
    assert cos_error(excinfo)[:2] == (409, "BucketNotEmpty")
    root.abort_multipart_upload(Bucket=bucket, Key="pending.bin", UploadId=upload_id)
    root.delete_bucket(Bucket=bucket)


def test_a_completed_upload_is_its_parts_read_in_order_and_by_range(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    """CompleteMultipartUpload copies nothing: the object's body is its parts (a manifest). Whole reads, ranges
    across part boundaries, an overwrite, a restart of the storage and a delete all see exactly those bytes."""
    storage = localcloud.app.cos.storage
    data = payload(3 * MIB + 777, b"manifest")
    chunks = parts_of(data, MIB + 100)  # 4 parts, boundaries off the MiB grid
    key = "users/alice/manifest.bin"
    upload_id = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    existing = {path.name for path in storage.blobs.rglob("*") if path.is_file()}
    for number, chunk in enumerate(chunks, start=1):
        root.upload_part(Bucket=bucket, Key=key, Body=chunk, PartNumber=number, UploadId=upload_id)
    files_before = sorted(path.name for path in storage.blobs.rglob("*") if path.is_file())
    mine = set(files_before) - existing
    assert len(mine) == len(chunks)
    parts = [{"PartNumber": str(n), "ETag": f'"{md5_hex(c)}"'} for n, c in enumerate(chunks, start=1)]
    root.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": parts})
    # The same body files, now the object's: no assembled copy was written.
    assert sorted(path.name for path in storage.blobs.rglob("*") if path.is_file()) == files_before

    assert root.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == data
    boundary = MIB + 100
    for first, last in [
        (0, 9),
        (boundary - 5, boundary + 4),
        (boundary - 1, 3 * boundary + 1),
        (len(data) - 3, len(data) - 1),
    ]:
        got = root.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
        assert got["Body"].get_raw_stream().read() == data[first : last + 1], (first, last)
        assert got["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    assert int(root.head_object(Bucket=bucket, Key=key)["Content-Length"]) == len(data)

    # A fresh Storage on the same folder (a restart) keeps the parts: they are not orphans.
    from localcloud.cos.storage import Storage

    Storage(storage.root, lambda: 0.0)
    assert root.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == data

    # Overwritten by a single PUT: the part files go; deleted: nothing is left of it.
    root.put_object(Bucket=bucket, Key=key, Body=b"small")
    remaining = {path.name for path in storage.blobs.rglob("*") if path.is_file()}
    assert not remaining & mine
    assert root.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == b"small"
    root.delete_object(Bucket=bucket, Key=key)
    assert len({path.name for path in storage.blobs.rglob("*") if path.is_file()}) == len(remaining) - 1


def test_completing_over_a_multipart_object_releases_its_parts(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    storage = localcloud.app.cos.storage
    key = "users/alice/twice.bin"

    def upload(seed: bytes) -> tuple[bytes, set[str]]:
        data = payload(2 * MIB + 1, seed)
        chunks = parts_of(data, MIB)
        upload_id = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        before = {path.name for path in storage.blobs.rglob("*") if path.is_file()}
        for number, chunk in enumerate(chunks, start=1):
            root.upload_part(Bucket=bucket, Key=key, Body=chunk, PartNumber=number, UploadId=upload_id)
        mine = {path.name for path in storage.blobs.rglob("*") if path.is_file()} - before
        parts = [{"PartNumber": str(n), "ETag": f'"{md5_hex(c)}"'} for n, c in enumerate(chunks, start=1)]
        root.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Part": parts})
        return data, mine

    _, first_files = upload(b"one")
    data, second_files = upload(b"two")
    present = {path.name for path in storage.blobs.rglob("*") if path.is_file()}
    assert not first_files & present
    assert second_files <= present
    assert root.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read() == data
