"""demo.cos, the one wrapper around cos-python-sdk-v5, against the session's localcloud."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from demo import cos
from localcloud.server import RunningServer
from signer import services
from tests.factories import APPID, REGION
from tests.net import loopback_get, via_loopback


@pytest.fixture
def alice_keys(alice: Any) -> cos.Keys:
    return cos.keys_from(services.credentials_issue(user=alice))


def test_it_lists_buckets_of_one_region(root: cos.Keys, bucket: str) -> None:
    tokyo = f"cos-tokyo-{APPID}"
    cos.create_bucket(root, region="ap-tokyo", bucket=tokyo, cors_origins=[])
    in_guangzhou = cos.list_buckets(root, region=REGION)
    assert bucket in [b.name for b in in_guangzhou]
    assert tokyo not in [b.name for b in in_guangzhou]
    assert {b.region for b in in_guangzhou} == {REGION}
    everywhere = {b.name: b for b in cos.list_buckets(root)}
    assert everywhere[tokyo].region == "ap-tokyo"
    assert everywhere[tokyo].created is not None


def test_it_maps_cos_errors(root: cos.Keys, bucket: str, alice_keys: cos.Keys) -> None:
    with pytest.raises(cos.CosError) as exists:
        cos.create_bucket(root, region=REGION, bucket=bucket, cors_origins=[])
    assert exists.value.code in {"BucketAlreadyExists", "BucketAlreadyOwnedByYou"}
    assert exists.value.status == 409
    with pytest.raises(cos.CosError) as denied:
        cos.list_objects(alice_keys, region=REGION, bucket=bucket, prefix="users/bob/")
    assert (denied.value.code, denied.value.status) == ("AccessDenied", 403)
    with pytest.raises(cos.CosError) as missing:
        cos.head_bucket(root, region=REGION, bucket=f"missing-{secrets.token_hex(3)}-{APPID}")
    assert (missing.value.code, missing.value.status) == ("NoSuchBucket", 404)


def test_it_reports_an_unreachable_cos_as_status_0(root: cos.Keys, settings: Any) -> None:
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9"
    with pytest.raises(cos.CosError) as unreachable:
        cos.list_buckets(root)
    assert (unreachable.value.code, unreachable.value.status) == ("CosUnavailable", 0)


def test_it_presigns_downloads_with_the_session_token(alice_keys: cos.Keys, root: cos.Keys, bucket: str) -> None:
    key = f"users/alice/cos-{secrets.token_hex(3)}/hello world.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"hi there")
    url = cos.presign_get(alice_keys, region=REGION, bucket=bucket, key=key, expires=120)
    assert parse_qs(urlsplit(url).query)["x-cos-security-token"] == [alice_keys.token]
    target, host = via_loopback(url)
    assert requests.get(target, headers=host, timeout=10).content == b"hi there"
    without_token = target.split("&x-cos-security-token=")[0]
    assert requests.get(without_token, headers=host, timeout=10).status_code == 403


def test_it_binds_a_presigned_link_to_its_bucket(
    alice_keys: cos.Keys, root: cos.Keys, bucket: str, cloud: RunningServer
) -> None:
    other = f"cos-other-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(root, region=REGION, bucket=other, cors_origins=[])
    key = "users/alice/same.txt"
    for name in (bucket, other):
        cos.put_object(root, region=REGION, bucket=name, key=key, body=name.encode())
    url = cos.presign_get(root, region=REGION, bucket=bucket, key=key)
    target, host = via_loopback(url)
    assert requests.get(target, headers=host, timeout=10).content == bucket.encode()
    moved = requests.get(target, headers={"Host": f"{other}.cos.{REGION}.localhost:{cloud.port}"}, timeout=10)
    assert moved.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in moved.text
    query = urlsplit(url).query
    path_style = requests.get(f"{cloud.url}/cos/{REGION}/{other}/{key}?{query}", timeout=10)
    assert path_style.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in path_style.text


def test_it_uses_the_public_scheme_and_port_for_browser_links(alice_keys: cos.Keys, bucket: str, settings: Any) -> None:
    settings.LOCALCLOUD_PUBLIC_URL = "http://storage.example.test:8080"
    url = cos.presign_get(alice_keys, region=REGION, bucket=bucket, key="users/alice/a b.txt")
    assert url.startswith(f"http://{bucket}.cos.{REGION}.localhost:8080/users/alice/a%20b.txt?")
    assert cos.browser_domain() == "http://{Bucket}.cos.{Region}.localhost:8080"
    settings.LOCALCLOUD_PUBLIC_URL = "https://storage.example.test"
    assert cos.browser_domain() == "https://{Bucket}.cos.{Region}.localhost"


def test_it_creates_buckets_with_a_cors_rule(root: cos.Keys, cloud: RunningServer) -> None:
    name = f"cos-cors-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(root, region=REGION, bucket=name, cors_origins=["https://portal.example"])
    preflight = requests.options(
        f"{cloud.url}/cos/{REGION}/{name}/x",
        headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://portal.example"
    assert set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) >= {
        "PUT",
        "POST",
        "GET",
        "HEAD",
        "DELETE",
    }
    cos.put_object(root, region=REGION, bucket=name, key="x", body=b"x")
    simple = loopback_get(
        cos.presign_get(root, region=REGION, bucket=name, key="x"), headers={"Origin": "https://portal.example"}
    )
    exposed = {h.strip().lower() for h in simple.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed >= {"etag", "content-length", "x-cos-request-id", "date"}


def test_it_deletes_objects_and_lists_multipart_uploads(root: cos.Keys, bucket: str) -> None:
    key = f"users/alice/cos-{secrets.token_hex(3)}.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"x")
    cos.delete_object(root, region=REGION, bucket=bucket, key=key)
    assert key not in [o.key for o in cos.list_objects(root, region=REGION, bucket=bucket, prefix=key).objects]
    assert cos.list_multipart_uploads(root, region=REGION, bucket=bucket, prefix=key) == []


def test_it_never_prints_a_secret(alice_keys: cos.Keys) -> None:
    assert alice_keys.secret_key not in repr(alice_keys)
    assert str(alice_keys.token) not in repr(alice_keys)
