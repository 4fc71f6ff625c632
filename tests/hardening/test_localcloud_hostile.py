"""Hostile input to localcloud over real sockets: the Authorization parser, XML bodies (incl. entity bombs), the
Range header, object keys, query strings, and bodies that are longer or shorter than they say.

Every answer must be a real status below 500, and every error COS's XML document (`<Error><Code/><Message/>
<Resource/><RequestId/>`) with `x-cos-request-id`; keys must never reach the file system, and a body that did not
arrive whole must never become an object. Inputs that once crashed it are pinned in test_localcloud_known_crashes.py.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization

REGION = "ap-guangzhou"
BUCKET = f"hostile-{DEFAULT_APPID}"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# What HTTP can carry in a header value (latin-1, no line breaks or NUL).
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=200)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Cloud:
    server: RunningServer
    sandbox: Path  # holds data/ and nothing else

    @property
    def data(self) -> Path:
        return self.sandbox / "data"

    def request(
        self,
        method: str,
        key: str = "",
        *,
        raw_path: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        sign: bool = True,
        bucket: str = BUCKET,
    ) -> Answer:
        path = raw_path if raw_path is not None else f"/cos/{REGION}/{bucket}/{quote(key, safe='/')}"
        query = urlencode(params or {}, quote_via=quote)
        sent = dict(headers or {})
        if sign and "Authorization" not in sent:
            sent["Authorization"] = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key)
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        try:
            connection.putrequest(method, path + (f"?{query}" if query else ""), skip_accept_encoding=True)
            for name, value in sent.items():
                connection.putheader(name, value.encode("latin-1"))
            if body or method in {"PUT", "POST"}:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def files(self) -> set[str]:
        return {str(p.relative_to(self.sandbox)) for p in self.sandbox.rglob("*")}


def assert_cos(answer: Answer, *allowed: int) -> str | None:
    """Below 500 (or 501 NotImplemented for an operation the emulator does not offer); an error is COS's XML document
    naming its request id. Returns the error code, if any."""
    assert answer.status < 500 or answer.status == 501, (answer.status, answer.body[:500])
    if allowed:
        assert answer.status in allowed, (answer.status, answer.body[:500])
    request_id = answer.headers.get("x-cos-request-id")
    assert request_id, answer.headers
    if answer.status < 400:
        return None
    if not answer.body:  # HEAD: status and headers only
        return None
    assert answer.headers.get("content-type") == "application/xml", answer.headers
    root = ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer
    assert root.tag == "Error"
    fields = {child.tag: (child.text or "") for child in root}
    for name in ("Code", "Message", "Resource", "RequestId"):
        assert fields.get(name), (name, answer.body[:500])
    assert fields["RequestId"] == request_id
    if answer.status == 501:
        assert fields["Code"] == "NotImplemented"
    return fields["Code"]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A localcloud of its own, whose data folder sits alone in a sandbox we can list before and after."""
    sandbox = tmp_path_factory.mktemp("hostile")
    server = start_in_thread(Config(data_dir=sandbox / "data"))
    cloud = Cloud(server, sandbox)
    assert cloud.request("PUT", "").status == 200  # the bucket
    assert cloud.request("PUT", "known.txt", body=b"0123456789" * 10).status == 200
    yield cloud
    server.stop()


def layout_is_sane(cloud: Cloud) -> None:
    """Only localcloud's own files, under data/: bodies by random id, never by key."""
    for name in cloud.files():
        parts = Path(name).parts
        assert parts[0] == "data", name
        if len(parts) > 3 and parts[1] == "cos" and parts[2] in {"blobs", "tmp"}:
            leaf = parts[-1]
            assert all(c in "0123456789abcdef" for c in leaf), name
            assert len(parts) <= 5, name


# ------------------------------------------------------------------------------------------------ Authorization


@FUZZ
@given(value=HEADER_TEXT)
def test_it_refuses_any_authorization_value_in_cos_form(cloud: Cloud, value: str) -> None:
    code = assert_cos(cloud.request("GET", "known.txt", headers={"Authorization": value}))
    assert code in {None, "AccessDenied", "InvalidAccessKeyId", "RequestTimeTooSkewed", "SignatureDoesNotMatch"}


FIELD = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="&\x7f"), max_size=40)
WINDOW = st.one_of(
    FIELD,
    # Including times after the year 9999 (gmtime() refuses them) and numbers of more digits than int() reads.
    st.builds(lambda a, b: f"{a};{b}", st.integers(-(10**25), 10**25), st.integers(-(10**25), 10**25)),
)


@FUZZ
@given(
    algorithm=st.sampled_from(["sha1", "SHA1", "sha256", "", "md5"]),
    ak=st.one_of(st.just(DEFAULT_SECRET_ID), FIELD),
    sign_time=WINDOW,
    key_time=WINDOW,
    header_list=FIELD,
    param_list=FIELD,
    signature=FIELD,
    drop=st.sets(st.sampled_from(["q-ak", "q-sign-time", "q-key-time", "q-signature", "q-header-list"])),
)
def test_it_refuses_malformed_cos_signatures_field_by_field(
    cloud: Cloud,
    algorithm: str,
    ak: str,
    sign_time: str,
    key_time: str,
    header_list: str,
    param_list: str,
    signature: str,
    drop: set[str],
) -> None:
    fields = {
        "q-sign-algorithm": algorithm,
        "q-ak": ak,
        "q-sign-time": sign_time,
        "q-key-time": key_time,
        "q-header-list": header_list,
        "q-url-param-list": param_list,
        "q-signature": signature,
    }
    value = "&".join(f"{name}={text}" for name, text in fields.items() if name not in drop)
    answer = cloud.request("GET", "known.txt", headers={"Authorization": value})
    assert answer.status >= 400
    assert assert_cos(answer, 400, 403)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q-ak", "q-signature", "sign", "q-sign-time", "x"]), FIELD, max_size=4))
def test_it_refuses_malformed_presigned_urls(cloud: Cloud, query: dict[str, str]) -> None:
    answer = cloud.request("GET", "known.txt", params=query, sign=False)
    assert answer.status >= 400
    assert_cos(answer, 400, 403)


# ------------------------------------------------------------------------------------------------------- XML bodies


def _upload_id(cloud: Cloud, key: str) -> str:
    answer = cloud.request("POST", key, params={"uploads": ""})
    assert answer.status == 200, answer.body
    root = ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer
    return root.findtext("UploadId") or ""


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
    upload_id = _upload_id(cloud, key)
    answer = cloud.request("POST", key, params={"uploadId": upload_id}, body=data)
    code = assert_cos(answer, 400, 404)
    assert code in {"MalformedXML", "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidArgument"}, code
    cloud.request("DELETE", key, params={"uploadId": upload_id})


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
        answer = cloud.request("POST", key, params={"uploadId": _upload_id(cloud, key)}, body=document.encode())
    assert time.perf_counter() - started < 5
    assert assert_cos(answer, 400) == "MalformedXML"
    stored = cloud.request("GET", "", params={"cors": ""})
    assert b"root:" not in stored.body
    assert b"lollollol" not in stored.body


def test_it_refuses_xml_bodies_over_four_megabytes(cloud: Cloud) -> None:
    body = b"<CORSConfiguration>" + b" " * (5 * 1024 * 1024) + b"</CORSConfiguration>"
    assert assert_cos(cloud.request("PUT", "", params={"cors": ""}, body=body), 400) == "EntityTooLarge"


# -------------------------------------------------------------------------------------------------------------- Range


@FUZZ
@given(
    value=st.one_of(
        HEADER_TEXT,
        st.builds(
            lambda a, b: f"bytes={a}-{b}",
            st.one_of(st.just(""), st.integers(0, 10**18).map(str)),
            st.one_of(st.just(""), st.integers(0, 10**18).map(str)),
        ),
        st.builds(lambda a, b: f"bytes={a}-{b},{b}-{a}", st.integers(0, 200), st.integers(0, 200)),
    )
)
def test_it_answers_any_range_with_the_bytes_asked_or_a_cos_error(cloud: Cloud, value: str) -> None:
    answer = cloud.request("GET", "known.txt", headers={"Range": value})
    assert_cos(answer, 200, 206, 416)
    full = b"0123456789" * 10
    if answer.status == 200:
        assert answer.body == full
    elif answer.status == 206:
        first, last, size = _content_range(answer.headers["content-range"])
        assert size == len(full)
        assert answer.body == full[first : last + 1]
    else:
        assert answer.headers["content-range"] == "bytes */100"


def _content_range(value: str) -> tuple[int, int, int]:
    unit, _, rest = value.partition(" ")
    assert unit == "bytes"
    span, _, size = rest.partition("/")
    first, _, last = span.partition("-")
    return int(first), int(last), int(size)


# --------------------------------------------------------------------------------------------------- keys and paths


KEYS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60),
    st.lists(st.sampled_from(["..", ".", "", "a", "%2e%2e", "\\..", "etc", "passwd", "~"]), min_size=1, max_size=8).map(
        "/".join
    ),
)


@FUZZ
@given(key=KEYS)
def test_it_stores_any_key_as_a_name_never_as_a_path(cloud: Cloud, key: str) -> None:
    assume(key != "")  # that is the bucket itself
    body = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    answer = cloud.request("PUT", key, body=body)
    code = assert_cos(answer, 200, 400)
    if answer.status == 200:
        assert cloud.request("GET", key).body == body
        assert_cos(cloud.request("DELETE", key), 204)
    else:
        assert code in {"InvalidArgument", "KeyTooLong", "InvalidURI"}, code
    layout_is_sane(cloud)


@pytest.mark.parametrize(
    "raw_path",
    [
        f"/cos/{REGION}/{BUCKET}/../../../../etc/passwd",
        f"/cos/{REGION}/{BUCKET}/%2e%2e/%2e%2e/%2e%2e/escaped.txt",
        f"/cos/{REGION}/{BUCKET}/..%2f..%2f..%2fescaped.txt",
        f"/cos/{REGION}/{BUCKET}/%2Fabsolute%2Fescaped.txt",
        f"/cos/{REGION}/{BUCKET}/..\\..\\escaped.txt",
        f"/cos/{REGION}/..%2f..%2f/escaped.txt",
        f"/cos/..%2f..%2f/{BUCKET}/escaped.txt",
        "/cos/../../escaped.txt",
    ],
)
def test_it_never_lets_a_path_escape_the_data_folder(cloud: Cloud, raw_path: str) -> None:
    before = cloud.files()
    outside = set(os.listdir(cloud.sandbox.parent))
    answer = cloud.request("PUT", "", raw_path=raw_path, body=b"escape attempt", sign=False)
    # Unsigned: refused; signed for the key it decodes to: stored as that name, inside the database.
    assert_cos(answer, 400, 403, 404)
    from localcloud.cos.addressing import resolve

    try:
        target = resolve("127.0.0.1", raw_path)
    except Exception:  # noqa: BLE001 - a path localcloud refuses to address cannot be signed for either
        target = None
    if target is not None and target.bucket == BUCKET:
        auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", target.key)
        signed = cloud.request("PUT", raw_path=raw_path, headers={"Authorization": auth}, body=b"escape attempt")
        assert_cos(signed, 200, 400, 404)
        if signed.status == 200:
            assert cloud.request("GET", target.key).body == b"escape attempt"
            cloud.request("DELETE", target.key)
    layout_is_sane(cloud)
    assert set(os.listdir(cloud.sandbox.parent)) == outside
    assert not any("escape" in name or "passwd" in name for name in cloud.files() - before)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("nul\x00byte.txt", "InvalidArgument"),
        ("a" * 851, "KeyTooLong"),
        ("\u00e9" * 426, "KeyTooLong"),  # 852 bytes of UTF-8 in 426 characters
    ],
)
def test_it_refuses_nul_bytes_and_keys_over_850_bytes(cloud: Cloud, key: str, code: str) -> None:
    before = cloud.files()
    for method in ("PUT", "GET", "DELETE", "HEAD"):
        answer = cloud.request(method, key, body=b"x" if method == "PUT" else b"")
        assert answer.status == 400, (method, answer.status)
        if method != "HEAD":
            assert assert_cos(answer, 400) == code
    upload = cloud.request("POST", key, params={"uploads": ""})
    assert assert_cos(upload, 400) == code
    assert cloud.files() == before


def test_it_keeps_a_key_of_exactly_850_bytes(cloud: Cloud) -> None:
    key = "k" * 850
    assert_cos(cloud.request("PUT", key, body=b"edge"), 200)
    assert cloud.request("GET", key).body == b"edge"


# ------------------------------------------------------------------------------------------------------ query strings


QUERY_NAMES = st.sampled_from(
    ["prefix", "marker", "delimiter", "max-keys", "encoding-type", "uploads", "cors", "uploadId", "partNumber", "x"]
)


@FUZZ
@given(query=st.dictionaries(QUERY_NAMES, HEADER_TEXT, max_size=4), method=st.sampled_from(["GET", "HEAD", "DELETE"]))
def test_it_answers_any_bucket_query_in_cos_form(cloud: Cloud, query: dict[str, str], method: str) -> None:
    assume(method != "DELETE" or "cors" in query or "uploadId" in query)  # never delete the bucket or its objects
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, "")
    answer = cloud.request(method, "", params=query, headers={"Authorization": auth})
    assert_cos(answer)
    if method == "GET" and answer.status == 200:
        ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer


@FUZZ
@given(raw=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"), max_size=80))
def test_it_answers_any_raw_query_string_in_cos_form(cloud: Cloud, raw: str) -> None:
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "")
    answer = cloud.request("GET", raw_path=f"/cos/{REGION}/{BUCKET}/?{raw}", headers={"Authorization": auth})
    assert_cos(answer)


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
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", key)
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
