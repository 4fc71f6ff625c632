"""A signature binds what it signs: only signed query parameters change the answer, a parameter name may not appear
twice in any case, sub-resources must be signed, active content is never served inline, the signature's fields are
taken as sent, and the request log names the operation but never a signature or token. Raw signed HTTP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from urllib.parse import quote, urlencode

import pytest
import requests
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import REGION, bucket_host, bucket_url, cos_client, presigned_download
from tests.localcloud.conftest import allow, parse_xml, policy, resource
from tests.net import via_loopback

Issue = Callable[..., IssuedCredentials]


def send(
    localcloud: RunningServer,
    bucket: str,
    key: str,
    query: str = "",
    signed: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
    authorization: str | None = None,
) -> requests.Response:
    """`query` is sent as written (order and case kept); only `signed` is signed."""
    host = bucket_host(localcloud, bucket)
    if authorization is None:
        authorization = make_authorization(
            DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, dict(signed or {}), {"host": host}
        )
    url = f"{localcloud.url}/cos/{REGION}/{bucket}/{quote(key)}" + (f"?{query}" if query else "")
    return requests.request(method, url, headers={"Authorization": authorization}, timeout=10)


def code(response: requests.Response) -> tuple[int, str | None]:
    return response.status_code, parse_xml(response.content).findtext("Code")


def test_it_refuses_a_parameter_given_twice_in_any_case(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="report.txt", Body=b"report")
    signed = {"response-content-disposition": "attachment"}
    tampered = "Response-Content-Disposition=inline&response-content-disposition=attachment"
    assert code(send(localcloud, bucket, "report.txt", tampered, signed)) == (400, "InvalidArgument")
    again = "response-content-disposition=attachment&response-content-disposition=inline"
    assert code(send(localcloud, bucket, "report.txt", again, signed)) == (400, "InvalidArgument")
    honest = send(localcloud, bucket, "report.txt", "response-content-disposition=attachment", signed)
    assert honest.headers["Content-Disposition"] == "attachment"


def test_it_ignores_unsigned_overrides_and_honours_signed_ones_in_any_case(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="notes.txt", Body=b"notes", ContentType="text/plain")
    unsigned = send(localcloud, bucket, "notes.txt", "response-content-type=image%2Fpng&response-expires=never")
    assert unsigned.status_code == 200
    assert unsigned.headers["Content-Type"] == "text/plain"
    assert "Expires" not in unsigned.headers

    signed = {"RESPONSE-CONTENT-TYPE": "image/png"}
    honoured = send(localcloud, bucket, "notes.txt", "RESPONSE-CONTENT-TYPE=image%2Fpng", signed)
    assert honoured.status_code == 200, honoured.text
    assert honoured.headers["Content-Type"] == "image/png"


def test_it_ignores_an_unsigned_processing_rule_and_listing_parameters(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="a/photo.png", Body=b"not resized")
    original = send(localcloud, bucket, "a/photo.png", "imageMogr2/thumbnail/10x10")
    assert (original.status_code, original.content) == (200, b"not resized")

    listing = send(localcloud, bucket, "", "prefix=zzz&max-keys=0")
    assert listing.status_code == 200
    assert parse_xml(listing.content).findtext("Contents/Key") == "a/photo.png"  # neither prefix nor max-keys held


def test_it_refuses_an_unsigned_sub_resource_appended_to_a_signed_request(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Issue
) -> None:
    root.put_object(Bucket=bucket, Key="k.bin", Body=b"k")
    # A signed GET /k.bin with ?uploadId appended would be ListParts, run as the signer.
    assert code(send(localcloud, bucket, "k.bin", "uploadId=abc")) == (403, "AccessDenied")
    assert code(send(localcloud, bucket, "k.bin", "uploadId=abc", {"uploadId": "abc"})) == (404, "NoSuchUpload")

    creds = issue(policy(allow(["name/cos:GetObject", "name/cos:ListParts"], [resource(bucket, "*")])))
    host = bucket_host(localcloud, bucket)
    authorization = make_authorization(creds.secret_id, creds.secret_key, "GET", "k.bin", {}, {"host": host})
    token = urlencode({"x-cos-security-token": creds.token})
    plain = send(localcloud, bucket, "k.bin", token, authorization=authorization)
    assert plain.status_code == 200, plain.text  # the token itself needs no signature (cos-js-sdk-v5 adds it after)
    appended = send(localcloud, bucket, "k.bin", f"{token}&uploadId=abc", authorization=authorization)
    assert code(appended) == (403, "AccessDenied")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "text/html; charset=utf-8",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
        "application/xhtml+xml",
    ],
)
def test_it_serves_active_content_as_an_attachment(
    localcloud: RunningServer, root: CosS3Client, bucket: str, content_type: str
) -> None:
    root.put_object(
        Bucket=bucket, Key="page", Body=b"<script>alert(document.cookie)</script>", ContentType=content_type
    )
    for method in ("GET", "HEAD"):
        answer = send(localcloud, bucket, "page", method=method)
        assert answer.status_code == 200
        assert answer.headers["Content-Disposition"] == "attachment"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_it_keeps_an_objects_own_disposition_and_serves_images_inline(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="own.html", Body=b"<p>", ContentType="text/html", ContentDisposition="inline")
    own = send(localcloud, bucket, "own.html")
    assert own.headers["Content-Disposition"] == "inline"
    assert own.headers["X-Content-Type-Options"] == "nosniff"

    root.put_object(Bucket=bucket, Key="p.png", Body=b"\x89PNG", ContentType="image/png")
    image = send(localcloud, bucket, "p.png")
    assert "Content-Disposition" not in image.headers
    assert image.headers["X-Content-Type-Options"] == "nosniff"

    # An override that makes a text object HTML does not make it inline either.
    root.put_object(Bucket=bucket, Key="t.txt", Body=b"<p>", ContentType="text/plain")
    signed = {"response-content-type": "text/html"}
    turned = send(localcloud, bucket, "t.txt", "response-content-type=text%2Fhtml", signed)
    assert (turned.headers["Content-Type"], turned.headers["Content-Disposition"]) == ("text/html", "attachment")


def test_it_refuses_signature_fields_with_stray_whitespace(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="w.txt", Body=b"w")
    host = bucket_host(localcloud, bucket)
    good = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "w.txt", {}, {"host": host})
    assert send(localcloud, bucket, "w.txt", authorization=good).status_code == 200

    padded_id = good.replace(f"q-ak={DEFAULT_SECRET_ID}", f"q-ak={DEFAULT_SECRET_ID} ")
    assert code(send(localcloud, bucket, "w.txt", authorization=padded_id)) == (403, "InvalidAccessKeyId")
    padded_signature = good.replace("q-signature=", "q-signature= ")
    assert code(send(localcloud, bucket, "w.txt", authorization=padded_signature)) == (403, "SignatureDoesNotMatch")
    padded_name = good.replace("&q-key-time=", "& q-key-time=")
    assert code(send(localcloud, bucket, "w.txt", authorization=padded_name)) == (403, "SignatureDoesNotMatch")

    # The same in a presigned URL's query.
    fields = dict(part.split("=", 1) for part in good.split("&"))
    fields["q-ak"] = " " + fields["q-ak"]
    presigned = send(localcloud, bucket, "w.txt", urlencode(fields), authorization="")
    assert code(presigned) == (403, "InvalidAccessKeyId")


def test_it_logs_the_operation_and_never_a_signature_or_token(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Issue, caplog: pytest.LogCaptureFixture
) -> None:
    root.put_object(Bucket=bucket, Key="logged.txt", Body=b"l")
    creds = issue(policy(allow(["name/cos:*"], [resource(bucket, "*")])))
    host = bucket_host(localcloud, bucket)
    signed = {"uploadId": "nope"}
    authorization = make_authorization(creds.secret_id, creds.secret_key, "GET", "logged.txt", signed, {"host": host})
    fields = dict(part.split("=", 1) for part in authorization.split("&"))
    query = urlencode({**fields, **signed, "x-cos-security-token": creds.token})
    with caplog.at_level(logging.INFO, logger="localcloud.cos"):
        answer = send(localcloud, bucket, "logged.txt", query, authorization="")
    assert code(answer) == (404, "NoSuchUpload")
    lines = [record.getMessage() for record in caplog.records if record.name == "localcloud.cos"]
    assert any(line.startswith("ListParts ?uploadid GET ") and line.endswith("-> 404") for line in lines), lines
    text = "\n".join(lines)
    for secret in (fields["q-signature"], creds.token, creds.secret_key):
        assert secret not in text


def test_it_binds_a_path_style_signature_to_its_bucket(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    other = f"o{bucket}"
    root.create_bucket(Bucket=other)
    root.put_object(Bucket=other, Key="same.txt", Body=b"the other bucket's")
    root.put_object(Bucket=bucket, Key="same.txt", Body=b"this bucket's")
    mine = bucket_host(localcloud, bucket)
    authorization = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "same.txt", {}, {"host": mine})
    assert send(localcloud, bucket, "same.txt", authorization=authorization).content == b"this bucket's"
    # Signed for `bucket`, sent to `other`: the signature binds its bucket's virtual host.
    assert code(send(localcloud, other, "same.txt", authorization=authorization)) == (403, "SignatureDoesNotMatch")

    # A signature over the bare host (or none) binds no bucket at all: refused for every bucket, saying why.
    bare = f"{localcloud.host}:{localcloud.port}"
    for headers in ({"host": bare}, {}):
        unbound = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "same.txt", {}, headers)
        for name in (bucket, other):
            answer = send(localcloud, name, "same.txt", authorization=unbound)
            assert code(answer) == (403, "SignatureDoesNotMatch")
    message = parse_xml(answer.content).findtext("Message") or ""
    assert f"must sign the host header with its bucket's virtual host '{other}.cos.{REGION}.localhost'" in message


def fetch(url: str, host: str | None = None) -> requests.Response:
    """GET as Chromium would (to the loopback address), optionally with another Host than the URL names."""
    target, headers = via_loopback(url)
    if host is not None:
        headers = {"Host": host}
    return requests.get(target, headers=headers, timeout=10)


def test_it_refuses_a_presigned_link_sent_to_another_bucket_or_region(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Issue
) -> None:
    """cos-python-sdk-v5's presigned URL for bucket A, sent to bucket B or to A in another region, with virtual hosts
    and with path style: refused. The signer may read both buckets in both regions, so only the signature refuses."""
    other = f"o{bucket}"
    root.create_bucket(Bucket=other)
    shanghai = cos_client(localcloud, region="ap-shanghai")
    far = f"f{bucket}"
    shanghai.create_bucket(Bucket=far)
    for client, name in ((root, bucket), (root, other), (shanghai, far)):
        client.put_object(Bucket=name, Key="same.txt", Body=name.encode())
    reader = issue(policy(allow(["name/cos:GetObject"], ["qcs::cos:*:uid/1250000000:*/*"])))
    url = presigned_download(reader, bucket_host(localcloud, bucket), bucket, "same.txt")
    assert url.startswith(f"http://{bucket}.cos.{REGION}.localhost:{localcloud.port}/same.txt?")
    assert fetch(url).content == bucket.encode()

    path, query = url.split("/same.txt?", 1)
    swaps = {
        "another bucket": fetch(url, bucket_host(localcloud, other)),
        "another region": fetch(url, bucket_host(localcloud, far, "ap-shanghai")),
        "another bucket, path style": fetch(f"{localcloud.url}/cos/{REGION}/{other}/same.txt?{query}"),
        "another region, path style": fetch(f"{localcloud.url}/cos/ap-shanghai/{far}/same.txt?{query}"),
    }
    for swap, answer in swaps.items():
        assert code(answer) == (403, "SignatureDoesNotMatch"), swap
    # The same link in path style, to its own bucket: its signed host is that bucket's, so it reads.
    assert fetch(f"{localcloud.url}/cos/{REGION}/{bucket}/same.txt?{query}").content == bucket.encode()
    assert path == bucket_url(localcloud, bucket)

    # A link signed for the bare address, as path-style links were before, reads nothing anywhere.
    unbound = presigned_download(
        reader, f"{localcloud.host}:{localcloud.port}/cos/{REGION}/{bucket}", bucket, "same.txt"
    )
    assert code(fetch(unbound)) == (403, "SignatureDoesNotMatch")
