"""Hostile input to localcloud over real sockets: the Authorization parser, presigned URLs, the Range header, object
keys and paths, and query strings. XML bodies and bodies that lie about their length are in
test_localcloud_hostile_bodies.py; inputs that once crashed it are pinned in test_localcloud_known_crashes.py.

Every answer must be a real status below 500, and every error COS's XML document with `x-cos-request-id`; keys must
never reach the file system.
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from qcloud.cos_signature import make_authorization
from tests.hardening.localcloud_client import (
    BUCKET,
    FUZZ,
    HEADER_TEXT,
    REGION,
    Cloud,
    assert_cos,
    layout_is_sane,
    start_cloud,
)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    cloud = start_cloud(tmp_path_factory, "hostile", b"0123456789" * 10)
    yield cloud
    cloud.server.stop()


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
        host = {"host": f"{BUCKET}.cos.{target.region}.localhost"}  # path style signs its bucket's virtual host
        auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", target.key, headers=host)
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
