"""Tencent mode: demo.cos and the upload page use the SDKs' default domains (nothing to reach here, so these check
the addresses and signatures the code would use)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from demo import cos, views
from qcloud.cos_signature import http_string, signature, string_to_sign


@pytest.fixture
def tencent(settings: Any) -> None:
    settings.CLOUD_BACKEND = "tencent"
    settings.LOCAL_MODE = False


def test_it_presigns_for_the_default_cos_domain_with_the_token(tencent: None) -> None:
    keys = cos.Keys("AKIDtemporary", "temporary-secret", "session-token-value")
    url = cos.presign_get(
        keys, region="ap-shanghai", bucket="photos-1250000000", key="users/alice/a b.jpg", expires=120
    )
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.netloc == "photos-1250000000.cos.ap-shanghai.myqcloud.com"
    assert parts.path == "/users/alice/a%20b.jpg"
    query = parse_qs(parts.query)
    assert query["x-cos-security-token"] == ["session-token-value"]
    assert query["q-ak"] == ["AKIDtemporary"]
    assert query["q-header-list"] == ["host"]
    # The signature is what COS computes for this host and key (qcloud.cos_signature, checked against the SDKs).
    key_time = query["q-key-time"][0]
    text = http_string("get", "users/alice/a b.jpg", {}, {"host": parts.netloc}, [], ["host"])
    assert query["q-signature"] == [
        signature("temporary-secret", key_time, string_to_sign(query["q-sign-time"][0], text))
    ]


def test_it_lets_the_browser_sdk_use_its_default_domains(tencent: None) -> None:
    assert views.cos_domain() is None


def test_it_points_the_python_sdk_at_tencent_cloud(tencent: None) -> None:
    config = cos._config(cos.Keys("id", "key", "token"), "ap-guangzhou")
    assert config._ip is None
    assert config._scheme == "https"
    assert config.uri(bucket="demo-1250000000") == "https://demo-1250000000.cos.ap-guangzhou.myqcloud.com/"
