"""qcloud.cos_signature computes what cos-python-sdk-v5 signs, and parses what it sends."""

from __future__ import annotations

import pytest
import requests
from qcloud_cos import CosConfig
from qcloud_cos.cos_auth import CosS3Auth

from qcloud import cos_signature

SECRET_ID = "AKIDEXAMPLEEXAMPLEEXAMPLE0000000"
SECRET_KEY = "examplesecretkeyexamplesecretkey"


def sdk_authorization(key: str, params: dict[str, str], headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The Authorization the SDK computes, and the headers it saw (requests adds Content-Length)."""
    config = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="http")
    request = requests.Request(
        "PUT", "http://b-1250000000.cos.ap-guangzhou.myqcloud.com/x", headers=headers, params=params
    ).prepare()
    signed = CosS3Auth(config, key, params, 600)(request)
    value: str = signed.headers["Authorization"]
    return value, {name: value for name, value in signed.headers.items() if name != "Authorization"}


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("plain.txt", {}),
        ("dir/with space+plus%percent/é.txt", {"partNumber": "1", "uploadId": "abc def"}),
        ("", {"prefix": "users/alice/", "encoding-type": "url", "max-keys": "1000", "marker": ""}),
    ],
)
def test_it_signs_exactly_as_the_python_sdk(key: str, params: dict[str, str]) -> None:
    headers = {"Content-Type": "text/plain; charset=utf-8", "x-cos-meta-Owner": "Ålice & bob", "Host": "h.example"}
    authorization, sent = sdk_authorization(key, params, headers)
    sdk = cos_signature.parse_authorization(authorization)
    assert "content-length" in sdk["q-header-list"]

    header_list = cos_signature.split_list(sdk["q-header-list"])
    param_list = cos_signature.split_list(sdk["q-url-param-list"])
    text = cos_signature.http_string("PUT", key, params, sent, param_list, header_list)
    to_sign = cos_signature.string_to_sign(sdk["q-sign-time"], text)
    assert cos_signature.signature(SECRET_KEY, sdk["q-key-time"], to_sign) == sdk["q-signature"]


def test_it_makes_authorizations_it_can_verify() -> None:
    value = cos_signature.make_authorization(
        SECRET_ID, SECRET_KEY, "GET", "a b.txt", params={"response-content-type": "text/plain"}, start=1_700_000_000
    )
    fields = cos_signature.parse_authorization(value)
    assert fields["q-sign-time"] == "1700000000;1700000600"
    assert fields["q-url-param-list"] == "response-content-type"
    text = cos_signature.http_string(
        "GET", "a b.txt", {"response-content-type": "text/plain"}, {}, ["response-content-type"], []
    )
    assert text == "get\n/a b.txt\nresponse-content-type=text%2Fplain\n\n"
    expected = cos_signature.signature(
        SECRET_KEY, fields["q-key-time"], cos_signature.string_to_sign(fields["q-sign-time"], text)
    )
    assert fields["q-signature"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "q-sign-algorithm=sha1&q-ak=x",
        "q-sign-algorithm=md5&q-ak=x&q-sign-time=1;2&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=s",
        "q-sign-algorithm=sha1&q-ak=x&q-sign-time=soon&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=s",
        "garbage",
    ],
)
def test_it_rejects_malformed_authorizations(value: str) -> None:
    with pytest.raises(cos_signature.SignatureFormatError):
        cos_signature.parse_authorization(value)
