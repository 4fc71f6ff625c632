"""Inputs that crashed localcloud (500 InternalError instead of a COS client error), one test each, found by the
fuzzing in test_localcloud_hostile.py; fixed, and pinned here.

Root causes were: `str.isdigit()` accepts characters `int()` refuses ('²');
`int()` refuses numbers over 4300 digits; `time.gmtime()` refuses times after the year 9999; the XML parser's DOCTYPE
check looks at the raw bytes, so a UTF-16 document slips through it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import start_in_thread
from qcloud.cos_signature import make_authorization
from tests.hardening.localcloud_client import Cloud, assert_cos, upload_id

LONG_NUMBER = "9" * 5000


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    sandbox = tmp_path_factory.mktemp("crashes")
    server = start_in_thread(Config(data_dir=sandbox / "data"))
    cloud = Cloud(server, sandbox)
    assert cloud.request("PUT", "").status == 200
    assert cloud.request("PUT", "known.txt", body=b"0123456789").status == 200
    yield cloud
    server.stop()


def _signature(sign_time: str) -> str:
    good = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "known.txt")
    fields = dict(part.split("=", 1) for part in good.split("&"))
    fields["q-sign-time"] = sign_time
    return "&".join(f"{name}={value}" for name, value in fields.items())


def test_it_refuses_a_superscript_digit_in_the_signature_time(cloud: Cloud) -> None:
    answer = cloud.request("GET", "known.txt", headers={"Authorization": _signature("\u00b2;1")})
    assert_cos(answer, 403)


def test_it_refuses_a_five_thousand_digit_signature_time(cloud: Cloud) -> None:
    answer = cloud.request("GET", "known.txt", headers={"Authorization": _signature(f"1;{LONG_NUMBER}")})
    assert_cos(answer, 403)


def test_it_refuses_a_signature_starting_after_the_year_9999(cloud: Cloud) -> None:
    far = 10**17
    answer = cloud.request("GET", "known.txt", headers={"Authorization": _signature(f"{far};{far + 600}")})
    assert assert_cos(answer, 403) == "RequestTimeTooSkewed"


def test_it_refuses_a_superscript_digit_in_a_presigned_url(cloud: Cloud) -> None:
    good = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "known.txt")
    query = dict(part.split("=", 1) for part in good.split("&"))
    query["q-sign-time"] = "\u00b2;1"
    assert_cos(cloud.request("GET", "known.txt", params=query, sign=False), 403)


def test_it_answers_a_five_thousand_digit_range(cloud: Cloud) -> None:
    answer = cloud.request("GET", "known.txt", headers={"Range": f"bytes={LONG_NUMBER}-"})
    assert_cos(answer, 200, 206, 416)


def test_it_refuses_a_superscript_digit_in_max_keys(cloud: Cloud) -> None:
    answer = cloud.request("GET", "", params={"max-keys": "\u00b2"})
    assert assert_cos(answer, 400) == "InvalidArgument"


def test_it_refuses_a_superscript_part_number(cloud: Cloud) -> None:
    key = "multipart/odd.bin"
    part = "<Part><PartNumber>\u00b2</PartNumber><ETag>x</ETag></Part>"
    body = f"<CompleteMultipartUpload>{part}</CompleteMultipartUpload>"
    answer = cloud.request("POST", key, params={"uploadId": upload_id(cloud, key)}, body=body.encode())
    assert assert_cos(answer, 400) == "MalformedXML"


def test_it_refuses_a_document_type_declaration_in_utf16(cloud: Cloud) -> None:
    document = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY origin "https://expanded.example">]>'
        "<CORSConfiguration><CORSRule><AllowedOrigin>&origin;</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
    )
    answer = cloud.request("PUT", "", params={"cors": ""}, body=document.encode("utf-16"))
    assert assert_cos(answer, 400) == "MalformedXML"
    assert b"expanded.example" not in cloud.request("GET", "", params={"cors": ""}).body


def test_it_refuses_a_non_ascii_signature(cloud: Cloud) -> None:
    good = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "known.txt")
    value = good.rsplit("q-signature=", 1)[0] + "q-signature=\u00e9"
    answer = cloud.request("GET", "known.txt", headers={"Authorization": value})
    assert assert_cos(answer, 403) == "SignatureDoesNotMatch"


def test_it_refuses_a_non_ascii_access_key_id(cloud: Cloud) -> None:
    good = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "known.txt")
    value = good.replace(f"q-ak={DEFAULT_SECRET_ID}", "q-ak=AKID\u00e9")
    answer = cloud.request("GET", "known.txt", headers={"Authorization": value})
    assert assert_cos(answer, 403) == "InvalidAccessKeyId"
