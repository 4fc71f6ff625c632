"""cos-js-sdk-v5 in headless Chromium against localcloud, one test per operation of issue 13 items 1-3, each with
the refusal a policy without the action gets: metadata headers on put/head/get and `response-*` overrides on
getObjectUrl, object tagging, object and bucket ACLs (anonymous reads enforced), GetBucketLocation, bucket tagging,
SSE-COS (AES256), imageMogr2 thumbnails and Upload Part - Copy (uploadPartCopy, sliceCopyFile).

The page is served from its own origin; the SDK reaches the bucket at its `*.localhost` virtual host, so every call
is a CORS request that the bucket's rule allows, and only the headers the rule exposes reach the page, as on COS."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from qcloud_cos import CosS3Client

from localcloud.server import RunningServer
from qcloud.endpoints import local_bucket_url
from tests.browser.js_sdk import SDK, call, sdk_options
from tests.cos_sdk import cos_client
from tests.net import static_site

pytestmark = pytest.mark.browser

REGION = "ap-guangzhou"
APPID = "1250000000"
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>operations</title>
<script src="/cos-js-sdk-v5.min.js"></script></head><body></body></html>"""
# What the metadata, tagging and encryption answers carry beyond CORS's safelisted response headers: the bucket's rule
# must expose them for a page to read them, as on COS (tests/browser below shows the difference).
EXPOSED = [
    "ETag",
    "Content-Length",
    "x-cos-request-id",
    "Date",
    "Content-Disposition",
    "Content-Encoding",
    "x-cos-meta-project",
    "x-cos-tagging-count",
    "x-cos-server-side-encryption",
]
# getObjectUrl signed by the SDK, then fetched by the page: status, the headers it may read, the body's text.
FETCH_SIGNED = """
async ([options, params]) => {
  const cos = new COS({
    Domain: options.domain,
    Protocol: 'http:',
    getAuthorization: (scope, callback) => callback(options.credentials),
  });
  const url = await new Promise((resolve, reject) => cos.getObjectUrl(
    Object.assign({Bucket: options.bucket, Region: options.region, Sign: true}, params),
    (err, data) => (err ? reject(err) : resolve(data.Url))));
  const response = await fetch(url);
  return {url: url, status: response.status, headers: Object.fromEntries(response.headers),
          text: await response.text()};
}
"""
# An <img> loading a URL: its natural size once loaded, or null when the browser could not decode an image.
IMAGE = """
(url) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
  img.onerror = () => resolve(null);
  img.src = url;
})
"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    files = {"/": (PAGE, "text/html; charset=utf-8"), "/cos-js-sdk-v5.min.js": (SDK.read_bytes(), "text/javascript")}
    with static_site(files) as origin:
        yield origin


@pytest.fixture(scope="module")
def root(localcloud: RunningServer) -> CosS3Client:
    return cos_client(localcloud, retry=0)


@pytest.fixture
def bucket(root: CosS3Client, page_server: str) -> str:
    """A fresh bucket whose CORS rule admits the page's origin and exposes EXPOSED."""
    name = f"jsops{secrets.token_hex(4)}-{APPID}"
    root.create_bucket(Bucket=name)
    rule = {
        "AllowedOrigin": [page_server],
        "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "AllowedHeader": ["*"],
        "ExposeHeader": EXPOSED,
    }
    root.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRule": [rule]})
    return name


@pytest.fixture
def sdk_page(page: Any, page_server: str) -> Any:
    page.goto(page_server + "/")
    return page


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["ok"], json.dumps(result)
    data: dict[str, Any] = result["data"]
    return data


DENIED = {"ok": False, "error": {"statusCode": 403, "code": "AccessDenied"}}


def test_it_stores_and_returns_metadata_headers(localcloud: RunningServer, sdk_page: Any, bucket: str) -> None:
    key = "users/alice/report.txt"
    writer = sdk_options(localcloud, bucket, ["PutObject", "HeadObject", "GetObject"], ["users/alice/*"])
    ok(
        call(
            sdk_page,
            writer,
            "putObject",
            Key=key,
            Body="quarterly numbers",
            ContentType="text/plain",
            CacheControl="max-age=60",
            ContentDisposition='attachment; filename="report.txt"',
            ContentEncoding="identity",
            Expires="Wed, 21 Oct 2099 07:28:00 GMT",
            Headers={"x-cos-meta-project": "apollo"},
        )
    )
    for method in ("headObject", "getObject"):
        data = ok(call(sdk_page, writer, method, Key=key))
        headers = data["headers"]
        assert headers["x-cos-meta-project"] == "apollo", method
        assert headers["cache-control"] == "max-age=60", method
        assert headers["content-disposition"] == 'attachment; filename="report.txt"', method
        assert headers["content-encoding"] == "identity", method
        assert headers["expires"] == "Wed, 21 Oct 2099 07:28:00 GMT", method
    assert ok(call(sdk_page, writer, "getObject", Key=key))["Body"] == "quarterly numbers"

    # getObjectUrl with response-* overrides: the SDK signs them (Query), localcloud honours them.
    overridden = sdk_page.evaluate(
        FETCH_SIGNED,
        [
            writer,
            {
                "Key": key,
                "Query": {
                    "response-content-type": "application/octet-stream",
                    "response-content-disposition": 'inline; filename="renamed.txt"',
                    "response-cache-control": "no-store",
                },
            },
        ],
    )
    assert overridden["status"] == 200, overridden
    assert overridden["url"].startswith(f"{local_bucket_url(localcloud.url, bucket, REGION)}/users/alice/report.txt?")
    assert overridden["headers"]["content-type"] == "application/octet-stream"
    assert overridden["headers"]["content-disposition"] == 'inline; filename="renamed.txt"'
    assert overridden["headers"]["cache-control"] == "no-store"

    # The refusals on an object Chromium has not cached (report.txt says max-age=60, so the browser would answer
    # from its cache without asking COS, as it would with COS itself).
    plain = "users/alice/plain.txt"
    ok(call(sdk_page, writer, "putObject", Key=plain, Body="plain"))
    reader = sdk_options(localcloud, bucket, ["GetObject"], ["users/alice/*"])
    assert call(sdk_page, reader, "putObject", Key="users/alice/other.txt", Body="x") == DENIED
    head = call(sdk_page, reader, "headObject", Key=plain)
    assert (head["ok"], head["error"]["statusCode"]) == (False, 403)  # a HEAD answer has no body to name the code
    elsewhere = sdk_options(localcloud, bucket, ["GetObject"], ["users/bob/*"])
    assert call(sdk_page, elsewhere, "getObject", Key=plain) == DENIED
    refused = sdk_page.evaluate(FETCH_SIGNED, [elsewhere, {"Key": plain}])
    assert refused["status"] == 403
    assert "<Code>AccessDenied</Code>" in refused["text"]


def test_it_tags_objects(localcloud: RunningServer, sdk_page: Any, bucket: str) -> None:
    key = "users/alice/tagged.txt"
    everything = ["PutObject", "HeadObject", "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging"]
    tagger = sdk_options(localcloud, bucket, everything, ["users/alice/*"])
    ok(call(sdk_page, tagger, "putObject", Key=key, Body="t", Headers={"x-cos-tagging": "team=red&tier=gold"}))
    assert ok(call(sdk_page, tagger, "headObject", Key=key))["headers"]["x-cos-tagging-count"] == "2"
    tags = ok(call(sdk_page, tagger, "getObjectTagging", Key=key))["Tags"]
    assert sorted((tag["Key"], tag["Value"]) for tag in tags) == [("team", "red"), ("tier", "gold")]

    ok(call(sdk_page, tagger, "putObjectTagging", Key=key, Tags=[{"Key": "stage", "Value": "final"}]))
    assert ok(call(sdk_page, tagger, "getObjectTagging", Key=key))["Tags"] == [{"Key": "stage", "Value": "final"}]
    ok(call(sdk_page, tagger, "deleteObjectTagging", Key=key))
    assert ok(call(sdk_page, tagger, "getObjectTagging", Key=key))["Tags"] == []

    untagger = sdk_options(localcloud, bucket, ["GetObject", "PutObject"], ["users/alice/*"])
    assert call(sdk_page, untagger, "putObjectTagging", Key=key, Tags=[{"Key": "a", "Value": "b"}]) == DENIED
    assert call(sdk_page, untagger, "getObjectTagging", Key=key) == DENIED
    assert call(sdk_page, untagger, "deleteObjectTagging", Key=key) == DENIED


def anonymous_fetch(page: Any, url: str) -> int:
    """A stranger's GET, past the browser's cache: COS sends no Cache-Control for an object without one, so Chromium
    may reuse a 200 heuristically (from Last-Modified) after the ACL has gone back to private."""
    return int(page.evaluate("async (url) => (await fetch(url, {cache: 'no-store'})).status", url))


def test_it_sets_and_enforces_object_and_bucket_acls(
    localcloud: RunningServer, sdk_page: Any, bucket: str, root: CosS3Client
) -> None:
    public, private = "users/alice/public.txt", "users/alice/private.txt"
    for key in (public, private):
        root.put_object(Bucket=bucket, Key=key, Body=key.encode())
    base = local_bucket_url(localcloud.url, bucket, REGION)
    owner = sdk_options(localcloud, bucket, ["PutObjectACL", "GetObjectACL"], ["users/alice/*"])
    ok(call(sdk_page, owner, "putObjectAcl", Key=public, ACL="public-read"))
    assert ok(call(sdk_page, owner, "getObjectAcl", Key=public))["ACL"] == "public-read"
    assert ok(call(sdk_page, owner, "getObjectAcl", Key=private))["ACL"] == "private"
    assert anonymous_fetch(sdk_page, f"{base}/{public}") == 200
    assert anonymous_fetch(sdk_page, f"{base}/{private}") == 403

    admin = sdk_options(localcloud, bucket, ["PutBucketACL", "GetBucketACL"], [""])
    ok(call(sdk_page, admin, "putBucketAcl", ACL="public-read"))
    assert ok(call(sdk_page, admin, "getBucketAcl"))["ACL"] == "public-read"
    assert anonymous_fetch(sdk_page, f"{base}/{private}") == 200  # the bucket's ACL now lets anyone read
    ok(call(sdk_page, admin, "putBucketAcl", ACL="private"))
    assert anonymous_fetch(sdk_page, f"{base}/{private}") == 403

    reader = sdk_options(localcloud, bucket, ["GetObject"], ["users/alice/*", ""])
    assert call(sdk_page, reader, "putObjectAcl", Key=private, ACL="public-read") == DENIED
    assert call(sdk_page, reader, "getObjectAcl", Key=private) == DENIED
    assert call(sdk_page, reader, "putBucketAcl", ACL="public-read") == DENIED
    assert call(sdk_page, reader, "getBucketAcl") == DENIED
    assert anonymous_fetch(sdk_page, f"{base}/{private}") == 403


def test_it_answers_the_bucket_location_and_tags_buckets(localcloud: RunningServer, sdk_page: Any, bucket: str) -> None:
    admin = sdk_options(
        localcloud,
        bucket,
        ["GetBucketLocation", "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging"],
        [""],
    )
    assert ok(call(sdk_page, admin, "getBucketLocation"))["LocationConstraint"] == REGION
    ok(call(sdk_page, admin, "putBucketTagging", Tags=[{"Key": "cost-center", "Value": "42"}]))
    assert ok(call(sdk_page, admin, "getBucketTagging"))["Tags"] == [{"Key": "cost-center", "Value": "42"}]
    ok(call(sdk_page, admin, "deleteBucketTagging"))
    after = call(sdk_page, admin, "getBucketTagging")
    assert after["ok"] is False or after["data"]["Tags"] == [], after

    nobody = sdk_options(localcloud, bucket, ["GetObject"], ["users/alice/*"])
    assert call(sdk_page, nobody, "getBucketLocation") == DENIED
    assert call(sdk_page, nobody, "putBucketTagging", Tags=[{"Key": "a", "Value": "b"}]) == DENIED
    assert call(sdk_page, nobody, "getBucketTagging") == DENIED
    assert call(sdk_page, nobody, "deleteBucketTagging") == DENIED


def test_it_stores_and_echoes_server_side_encryption(
    localcloud: RunningServer, sdk_page: Any, bucket: str, root: CosS3Client
) -> None:
    key = "users/alice/sealed.txt"
    writer = sdk_options(localcloud, bucket, ["PutObject", "HeadObject", "GetObject"], ["users/alice/*"])
    put = ok(call(sdk_page, writer, "putObject", Key=key, Body="sealed", ServerSideEncryption="AES256"))
    assert put["headers"]["x-cos-server-side-encryption"] == "AES256"
    assert ok(call(sdk_page, writer, "headObject", Key=key))["headers"]["x-cos-server-side-encryption"] == "AES256"
    got = ok(call(sdk_page, writer, "getObject", Key=key))
    assert (got["Body"], got["headers"]["x-cos-server-side-encryption"]) == ("sealed", "AES256")
    assert root.head_object(Bucket=bucket, Key=key)["x-cos-server-side-encryption"] == "AES256"

    reader = sdk_options(localcloud, bucket, ["GetObject"], ["users/alice/*"])
    refused = call(sdk_page, reader, "putObject", Key="users/alice/x.txt", Body="x", ServerSideEncryption="AES256")
    assert refused == DENIED
    assert root.object_exists(Bucket=bucket, Key="users/alice/x.txt") is False


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_it_serves_thumbnails_of_images(
    localcloud: RunningServer, sdk_page: Any, bucket: str, root: CosS3Client
) -> None:
    key = "users/alice/photo.png"
    root.put_object(Bucket=bucket, Key=key, Body=png(400, 200), ContentType="image/png")
    viewer = sdk_options(localcloud, bucket, ["GetObject"], ["users/alice/*"])

    def thumbnail(settings: dict[str, Any], rule: str) -> Any:
        url = sdk_page.evaluate(
            """([options, key, rule]) => new Promise((resolve) => new COS({
                 Domain: options.domain, Protocol: 'http:',
                 getAuthorization: (scope, callback) => callback(options.credentials),
               }).getObjectUrl({Bucket: options.bucket, Region: options.region, Key: key, Sign: true,
                                Query: {[rule]: ''}}, (err, data) => resolve(data.Url)))""",
            [settings, key, rule],
        )
        return sdk_page.evaluate(IMAGE, url)

    assert thumbnail(viewer, "imageMogr2/thumbnail/100x100") == [100, 50]
    assert thumbnail(viewer, "imageMogr2/thumbnail/50x50!") == [50, 50]
    assert thumbnail(viewer, "imageMogr2/thumbnail/!50p/format/jpg") == [200, 100]
    original = sdk_page.evaluate(FETCH_SIGNED, [viewer, {"Key": key}])
    assert original["status"] == 200

    stranger = sdk_options(localcloud, bucket, ["GetObject"], ["users/bob/*"])
    assert thumbnail(stranger, "imageMogr2/thumbnail/100x100") is None
    refused = sdk_page.evaluate(FETCH_SIGNED, [stranger, {"Key": key, "Query": {"imageMogr2/thumbnail/100x100": ""}}])
    assert refused["status"] == 403
    assert "<Code>AccessDenied</Code>" in refused["text"]


MiB = 1024 * 1024


def test_it_copies_parts_with_upload_part_copy_and_slice_copy_file(
    localcloud: RunningServer, sdk_page: Any, bucket: str, root: CosS3Client
) -> None:
    body = secrets.token_bytes(2 * MiB + 4096)
    root.put_object(Bucket=bucket, Key="users/alice/big.bin", Body=body)
    source = f"{bucket}.cos.{REGION}.myqcloud.com/users/alice/big.bin"
    multipart = [
        "GetObject",
        "PutObject",  # Upload Part - Copy is authorised as PutObject on the destination (qcloud/operations.py)
        "HeadObject",
        "InitiateMultipartUpload",
        "UploadPart",
        "ListParts",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "ListMultipartUploads",
    ]
    copier = sdk_options(localcloud, bucket, multipart, ["users/alice/*"])

    sliced = call(
        sdk_page, copier, "sliceCopyFile", Key="users/alice/sliced.bin", CopySource=source,
        CopySliceSize=MiB, CopyChunkSize=MiB,
    )  # fmt: skip
    ok(sliced)
    copied = root.get_object(Bucket=bucket, Key="users/alice/sliced.bin")["Body"].get_raw_stream().read()
    assert copied == body
    parts = root.head_object(Bucket=bucket, Key="users/alice/sliced.bin")["ETag"]
    assert parts.strip('"').endswith("-3")  # three parts: the copy went part by part (Upload Part - Copy)

    upload = ok(call(sdk_page, copier, "multipartInit", Key="users/alice/parted.bin"))["UploadId"]
    part = ok(
        call(
            sdk_page, copier, "uploadPartCopy", Key="users/alice/parted.bin", UploadId=upload, PartNumber="1",
            CopySource=source, CopySourceRange=f"bytes=0-{MiB - 1}",
        )
    )  # fmt: skip
    ok(
        call(
            sdk_page, copier, "multipartComplete", Key="users/alice/parted.bin", UploadId=upload,
            Parts=[{"PartNumber": 1, "ETag": part["ETag"]}],
        )
    )  # fmt: skip
    parted = root.get_object(Bucket=bucket, Key="users/alice/parted.bin")["Body"].get_raw_stream().read()
    assert parted == body[:MiB]

    # Without read on the source, or without UploadPart on the destination: AccessDenied.
    root.put_object(Bucket=bucket, Key="users/bob/big.bin", Body=body)
    bobs = f"{bucket}.cos.{REGION}.myqcloud.com/users/bob/big.bin"
    upload = ok(call(sdk_page, copier, "multipartInit", Key="users/alice/stolen.bin"))["UploadId"]
    stolen = call(
        sdk_page, copier, "uploadPartCopy", Key="users/alice/stolen.bin", UploadId=upload, PartNumber="1",
        CopySource=bobs, CopySourceRange=f"bytes=0-{MiB - 1}",
    )  # fmt: skip
    assert stolen == DENIED
    no_parts = sdk_options(
        localcloud, bucket, ["GetObject", "HeadObject", "InitiateMultipartUpload"], ["users/alice/*"]
    )
    upload = ok(call(sdk_page, no_parts, "multipartInit", Key="users/alice/denied.bin"))["UploadId"]
    denied = call(
        sdk_page, no_parts, "uploadPartCopy", Key="users/alice/denied.bin", UploadId=upload, PartNumber="1",
        CopySource=source, CopySourceRange=f"bytes=0-{MiB - 1}",
    )  # fmt: skip
    assert denied == DENIED
    refused = call(
        sdk_page, no_parts, "sliceCopyFile", Key="users/alice/denied-slices.bin", CopySource=source,
        CopySliceSize=MiB, CopyChunkSize=MiB,
    )  # fmt: skip
    assert refused["ok"] is False
    assert refused["error"]["statusCode"] == 403
    assert root.object_exists(Bucket=bucket, Key="users/alice/denied-slices.bin") is False


def test_it_shows_the_page_only_the_headers_the_buckets_cors_rule_exposes(
    localcloud: RunningServer, sdk_page: Any, page_server: str, root: CosS3Client
) -> None:
    """As on COS, Access-Control-Expose-Headers is the rule's ExposeHeader list: a bucket that exposes only what
    uploads need (the portal's rule) hides x-cos-meta-* and Content-Disposition from the page, while CORS's
    safelisted headers (Cache-Control, Content-Type, Expires) are always readable."""
    name = f"jsexp{secrets.token_hex(4)}-{APPID}"
    root.create_bucket(Bucket=name)
    rule = {
        "AllowedOrigin": [page_server],
        "AllowedMethod": ["GET", "PUT", "HEAD"],
        "AllowedHeader": ["*"],
        "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
    }
    root.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRule": [rule]})
    key = "users/alice/hidden.txt"
    root.put_object(
        Bucket=name, Key=key, Body=b"h", CacheControl="no-cache", ContentDisposition="inline", Metadata={
            "x-cos-meta-project": "apollo"
        },
    )  # fmt: skip
    reader = sdk_options(localcloud, name, ["HeadObject"], ["users/alice/*"])
    headers = ok(call(sdk_page, reader, "headObject", Key=key))["headers"]
    assert headers["etag"]
    assert headers["cache-control"] == "no-cache"
    assert "x-cos-meta-project" not in headers
    assert "content-disposition" not in headers
    assert root.head_object(Bucket=name, Key=key)["x-cos-meta-project"] == "apollo"  # stored, only not exposed


def test_it_refuses_a_presigned_url_sent_to_another_bucket_or_region(
    localcloud: RunningServer, sdk_page: Any, bucket: str, page_server: str, root: CosS3Client
) -> None:
    """Issue 13 item 7(a): cos-js-sdk-v5 signs the bucket's own host, so its getObjectUrl for bucket A, sent to bucket
    B or to A's name in another region (virtual host or path style), is refused, although the keys may read them."""
    shanghai = cos_client(localcloud, region="ap-shanghai", retry=0)
    other, far = f"o{bucket}", f"f{bucket}"
    root.create_bucket(Bucket=other)
    shanghai.create_bucket(Bucket=far)
    rule = {"AllowedOrigin": [page_server], "AllowedMethod": ["GET"], "AllowedHeader": ["*"]}
    for client, name in ((root, bucket), (root, other), (shanghai, far)):
        if name != bucket:
            client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRule": [rule]})
        client.put_object(Bucket=name, Key="users/alice/same.txt", Body=name.encode())
    # Keys that may read users/alice/ in every bucket of every region: only the signature can refuse a swap.
    reader_everywhere = sdk_options(localcloud, bucket, ["GetObject"], [f"qcs::cos:*:uid/{APPID}:*/users/alice/*"])
    signed = sdk_page.evaluate(FETCH_SIGNED, [reader_everywhere, {"Key": "users/alice/same.txt"}])
    assert (signed["status"], signed["text"]) == (200, bucket), signed
    own = local_bucket_url(localcloud.url, bucket, REGION)
    assert signed["url"].startswith(f"{own}/users/alice/same.txt?")
    query = signed["url"].split("?", 1)[1]
    moved = {
        "another bucket": f"{local_bucket_url(localcloud.url, other, REGION)}/users/alice/same.txt?{query}",
        "another region": f"{local_bucket_url(localcloud.url, far, 'ap-shanghai')}/users/alice/same.txt?{query}",
        "another bucket, path style": f"{localcloud.url}/cos/{REGION}/{other}/users/alice/same.txt?{query}",
        "another region, path style": f"{localcloud.url}/cos/ap-shanghai/{far}/users/alice/same.txt?{query}",
    }
    for swap, url in moved.items():
        answer = sdk_page.evaluate(
            "async (url) => { const r = await fetch(url); return {status: r.status, text: await r.text()}; }", url
        )
        assert answer["status"] == 403, swap
        assert "<Code>SignatureDoesNotMatch</Code>" in answer["text"], swap
    # Each bucket's own signed URL reads it: the keys really may read all three.
    for name, region in ((other, REGION), (far, "ap-shanghai")):
        settings = dict(reader_everywhere, bucket=name, region=region)
        assert sdk_page.evaluate(FETCH_SIGNED, [settings, {"Key": "users/alice/same.txt"}])["text"] == name
    # The old path-style Domain signs the bare host 127.0.0.1:<port>, which binds no bucket: such a URL reads nothing,
    # neither in its own bucket nor (what it used to do) in any other the keys may read.
    path_style = dict(reader_everywhere, domain=f"{localcloud.url}/cos/{{Region}}/{{Bucket}}")
    unbound = sdk_page.evaluate(FETCH_SIGNED, [path_style, {"Key": "users/alice/same.txt"}])
    assert unbound["url"].startswith(f"{localcloud.url}/cos/{REGION}/{bucket}/users/alice/same.txt?")
    assert unbound["status"] == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in unbound["text"]
    replayed = unbound["url"].replace(f"/cos/{REGION}/{bucket}/", f"/cos/{REGION}/{other}/")
    answer = sdk_page.evaluate("async (url) => (await fetch(url)).status", replayed)
    assert answer == 403
