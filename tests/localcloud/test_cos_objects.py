"""Objects through cos-python-sdk-v5: put, get (ranges, overrides), head, delete, awkward keys, error answers."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host
from tests.localcloud.conftest import REGION, cos_error, md5_b64, md5_hex, parse_xml

AWKWARD_KEYS = [
    "with space.txt",
    "plus+sign.txt",
    "percent%20literal%.txt",
    "unicode/日本語/ünïcødé.txt",
    "double//slash.txt",
    "folder/trailing/",
    "a b+c%d//é/",
    "question?mark&amp=1#hash.txt",
    "./dot-slash.txt",
    "tilde~and'quote\".txt",
]


def body_of(client: CosS3Client, bucket: str, key: str, **kwargs: str) -> bytes:
    data: bytes = client.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].get_raw_stream().read()
    return data


def test_it_puts_and_gets_an_object_with_its_type_and_metadata(root: CosS3Client, bucket: str) -> None:
    body = b"hello localcloud\n" * 100
    put = root.put_object(
        Bucket=bucket, Key="docs/hello.txt", Body=body, ContentType="text/plain", Metadata={"x-cos-meta-owner": "alice"}
    )
    assert put["ETag"] == f'"{md5_hex(body)}"'

    got = root.get_object(Bucket=bucket, Key="docs/hello.txt")
    assert got["Body"].get_raw_stream().read() == body
    assert got["Content-Type"] == "text/plain"
    assert got["x-cos-meta-owner"] == "alice"
    assert got["ETag"] == put["ETag"]
    assert got["Content-Length"] == str(len(body))

    head = root.head_object(Bucket=bucket, Key="docs/hello.txt")
    assert head["Content-Length"] == str(len(body))
    assert head["ETag"] == put["ETag"]
    assert head["x-cos-meta-owner"] == "alice"
    assert head["x-cos-request-id"]


def test_it_round_trips_awkward_keys_byte_exact(root: CosS3Client, bucket: str) -> None:
    for number, key in enumerate(AWKWARD_KEYS):
        root.put_object(Bucket=bucket, Key=key, Body=f"body {number}".encode())
    for number, key in enumerate(AWKWARD_KEYS):
        assert body_of(root, bucket, key) == f"body {number}".encode(), key
        assert root.head_object(Bucket=bucket, Key=key)["Content-Length"] == str(len(f"body {number}"))

    listed = root.list_objects(Bucket=bucket, MaxKeys=1000)
    keys = [item["Key"] for item in listed["Contents"]]
    normalised = sorted(AWKWARD_KEYS, key=lambda k: k.encode("utf-8"))
    assert keys == normalised


def test_it_answers_ranges_suffix_ranges_and_open_ranges(root: CosS3Client, bucket: str) -> None:
    body = bytes(range(256)) * 4
    root.put_object(Bucket=bucket, Key="bytes.bin", Body=body)

    part = root.get_object(Bucket=bucket, Key="bytes.bin", Range="bytes=10-19")
    assert part["Body"].get_raw_stream().read() == body[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(body)}"

    suffix = root.get_object(Bucket=bucket, Key="bytes.bin", Range="bytes=-7")
    assert suffix["Body"].get_raw_stream().read() == body[-7:]
    assert suffix["Content-Range"] == f"bytes {len(body) - 7}-{len(body) - 1}/{len(body)}"

    opened = root.get_object(Bucket=bucket, Key="bytes.bin", Range="bytes=1000-")
    assert opened["Body"].get_raw_stream().read() == body[1000:]

    beyond = root.get_object(Bucket=bucket, Key="bytes.bin", Range="bytes=1020-5000")
    assert beyond["Body"].get_raw_stream().read() == body[1020:]

    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="bytes.bin", Range=f"bytes={len(body)}-")
    assert cos_error(excinfo)[:2] == (416, "InvalidRange")


def test_it_applies_response_header_overrides(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n1,2\n", ContentType="text/csv")
    got = root.get_object(
        Bucket=bucket,
        Key="report.csv",
        ResponseContentType="application/octet-stream",
        ResponseContentDisposition='attachment; filename="report.csv"',
        ResponseCacheControl="no-cache",
        ResponseContentLanguage="en",
        ResponseContentEncoding="identity",
        ResponseExpires="Thu, 01 Dec 2044 16:00:00 GMT",
    )
    assert got["Content-Type"] == "application/octet-stream"
    assert got["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert got["Cache-Control"] == "no-cache"
    assert got["Content-Language"] == "en"
    assert got["Content-Encoding"] == "identity"
    assert got["Expires"] == "Thu, 01 Dec 2044 16:00:00 GMT"


def test_it_checks_content_md5(root: CosS3Client, bucket: str) -> None:
    body = b"checked body"
    good = md5_b64(body)
    root.put_object(Bucket=bucket, Key="checked.txt", Body=body, ContentMD5=good)
    assert body_of(root, bucket, "checked.txt") == body

    wrong = md5_b64(b"something else")
    with pytest.raises(CosServiceError) as excinfo:
        root.put_object(Bucket=bucket, Key="bad.txt", Body=body, ContentMD5=wrong)
    assert cos_error(excinfo)[:2] == (400, "BadDigest")
    with pytest.raises(CosServiceError) as excinfo:
        root.head_object(Bucket=bucket, Key="bad.txt")
    assert cos_error(excinfo)[0] == 404


def test_it_replaces_an_object_and_deletes_idempotently(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="v.txt", Body=b"version 1")
    root.put_object(Bucket=bucket, Key="v.txt", Body=b"version 2, longer")
    assert body_of(root, bucket, "v.txt") == b"version 2, longer"

    root.delete_object(Bucket=bucket, Key="v.txt")
    root.delete_object(Bucket=bucket, Key="v.txt")  # deleting what is gone is fine (204)
    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="v.txt")
    assert cos_error(excinfo)[:2] == (404, "NoSuchKey")


def test_it_refuses_keys_too_long_or_with_nul(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as excinfo:
        root.put_object(Bucket=bucket, Key="k" * 851, Body=b"x")
    assert cos_error(excinfo)[:2] == (400, "KeyTooLong")
    root.put_object(Bucket=bucket, Key="é" * 425, Body=b"x")  # 850 bytes of UTF-8 is the limit

    with pytest.raises(CosServiceError) as excinfo:
        root.put_object(Bucket=bucket, Key="nul\x00key", Body=b"x")
    assert cos_error(excinfo)[:2] == (400, "InvalidArgument")


def test_it_answers_errors_as_cos_xml_with_a_request_id(localcloud: RunningServer, bucket: str) -> None:
    path = f"/cos/{REGION}/{bucket}/missing.txt"
    host = bucket_host(localcloud, bucket)
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "missing.txt", headers={"host": host})
    response = requests.get(f"{localcloud.url}{path}", headers={"Authorization": auth}, timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/xml"
    assert response.headers["x-cos-request-id"]
    error = parse_xml(response.content)
    fields = {child.tag: child.text for child in error}
    assert error.tag == "Error"
    assert fields["Code"] == "NoSuchKey"
    assert fields["Message"]
    assert fields["Resource"] == f"/{bucket}/missing.txt"
    assert fields["RequestId"] == response.headers["x-cos-request-id"]
    assert fields["TraceId"]


def test_it_never_answers_bad_input_with_a_server_error(localcloud: RunningServer, bucket: str) -> None:
    base = f"{localcloud.url}/cos/{REGION}/{bucket}"
    host = bucket_host(localcloud, bucket)
    cases = [
        ("GET", "/%ff%fe.txt", {}, 400, "InvalidURI"),
        ("GET", "/k", {"Authorization": "q-sign-algorithm=md5&nonsense"}, 403, "AccessDenied"),
        ("PUT", "/k?partNumber=abc&uploadId=x", {}, 400, "InvalidArgument"),
        ("GET", "/?max-keys=-1", {}, 400, "InvalidArgument"),
        ("GET", "/?encoding-type=base64", {}, 400, "InvalidArgument"),
        ("PATCH", "/k", {}, 405, "MethodNotAllowed"),
        ("GET", "/k?versioning", {}, 501, "NotImplemented"),
        ("GET", "/k?acl", {}, 404, "NoSuchKey"),
        ("PUT", "/?cors", {}, 400, "MalformedXML"),
        ("PUT", "/copy.txt", {"x-cos-copy-source": "elsewhere/k"}, 400, "InvalidArgument"),
        ("POST", "/k", {"x-cos-copy-source": "elsewhere/k"}, 501, "NotImplemented"),
    ]
    for method, path, headers, status, code in cases:
        key, _, query = path.partition("?")
        key = key.lstrip("/")
        signed = dict(headers)
        if "Authorization" not in signed:
            params = dict(parse_qsl(query, keep_blank_values=True))
            signed["Authorization"] = make_authorization(
                DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, params, headers={"host": host}
            )
        response = requests.request(method, base + path, headers=signed, timeout=10)
        assert response.status_code == status, (method, path, response.text)
        assert parse_xml(response.content).findtext("Code") == code, (method, path)


def test_it_serves_path_style_and_localhost_virtual_hosts(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="dir/file name.txt", Body=b"addressed")
    # Path style signs its bucket's virtual host (a signature for 127.0.0.1 binds no bucket).
    port_host = bucket_host(localcloud, bucket)

    path_auth = make_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "dir/file name.txt", headers={"host": port_host}
    )
    path_style = requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/dir/file%20name.txt", headers={"Authorization": path_auth}, timeout=10
    )
    assert path_style.status_code == 200
    assert path_style.content == b"addressed"

    vhost = f"{bucket}.cos.{REGION}.localhost:{localcloud.port}"
    vhost_auth = make_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "dir/file name.txt", headers={"host": vhost}
    )
    virtual = requests.get(
        f"{localcloud.url}/dir/file%20name.txt", headers={"Host": vhost, "Authorization": vhost_auth}, timeout=10
    )
    assert virtual.status_code == 200
    assert virtual.content == b"addressed"


def test_it_streams_a_large_object_intact(root: CosS3Client, bucket: str) -> None:
    body = (hashlib.sha256(b"seed").digest() * 32768)[: 3 * 1024 * 1024 + 17]
    put = root.put_object(Bucket=bucket, Key="large.bin", Body=body)
    assert put["ETag"].strip('"') == md5_hex(body)
    assert body_of(root, bucket, "large.bin") == body


def test_it_answers_conditional_requests(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    put = root.put_object(Bucket=bucket, Key="cond.txt", Body=b"conditional")
    etag = put["ETag"]
    modified = root.head_object(Bucket=bucket, Key="cond.txt")["Last-Modified"]

    assert body_of(root, bucket, "cond.txt", IfMatch=etag) == b"conditional"
    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="cond.txt", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert cos_error(excinfo)[:2] == (412, "PreconditionFailed")
    with pytest.raises(CosServiceError) as excinfo:
        root.get_object(Bucket=bucket, Key="cond.txt", IfUnmodifiedSince="Mon, 01 Jan 2001 00:00:00 GMT")
    assert cos_error(excinfo)[0] == 412

    assert body_of(root, bucket, "cond.txt", IfModifiedSince="Mon, 01 Jan 2001 00:00:00 GMT") == b"conditional"

    # 304 answers have no body (and no Content-Length, which the SDK's stream wants): look at them raw, as a browser.
    host = bucket_host(localcloud, bucket)
    for header, value in (("If-None-Match", etag), ("If-Modified-Since", modified)):
        auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "cond.txt", headers={"host": host})
        response = requests.get(
            f"{localcloud.url}/cos/{REGION}/{bucket}/cond.txt",
            headers={"Authorization": auth, header: value},
            timeout=10,
        )
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["ETag"] == etag
