"""A policy's client networks hold for the pages' own COS calls, behind a proxy too.

The portal lists, deletes and creates buckets from its own address, so COS sees the portal, not the user: the pages
check the networks themselves against the client's address (X-Forwarded-For, trusted as far as NUM_PROXIES says).
The policies below also admit 127.0.0.1, the portal's address at localcloud here (as a deployment whose portal sits
inside the allowed network would), so that only the pages' own check can refuse a user who comes from elsewhere.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from demo import cos
from signer import audit
from signer.models import CloudAccount, IssuedCredential
from tests.factories import APPID, REGION, make_policy, make_user

NETWORKS = "10.0.0.0/8, 127.0.0.1"
INSIDE = "10.1.2.3"
OUTSIDE = "203.0.113.5"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def client_for(user: Any, address: str) -> Client:
    client = Client(HTTP_X_FORWARDED_FOR=address)
    client.force_login(user)
    return client


@pytest.fixture
def dora(account: CloudAccount, bucket: str) -> Any:
    policy = make_policy(account, name="own prefix on the office network", bucket=bucket, allowed_networks=NETWORKS)
    return make_user("dora", policy=policy)


@pytest.fixture
def doras_file(root: cos.Keys, bucket: str, dora: Any) -> str:
    key = f"users/dora/net-{secrets.token_hex(3)}.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"dora's")
    return key


def exists(root: cos.Keys, bucket: str, key: str) -> bool:
    page = cos.list_objects(root, region=REGION, bucket=bucket, prefix=key.rsplit("/", 1)[0] + "/")
    return key in [o.key for o in page.objects]


def test_it_refuses_listing_buckets_from_outside_the_policys_networks(dora: Any, bucket: str, stats: Any) -> None:
    before = stats().get("cos:GetService", 0)
    response = client_for(dora, OUTSIDE).get(f"/regions/{REGION}/")
    assert response.status_code == 403
    assert f'data-bucket="{bucket}"' not in response.content.decode()
    assert stats().get("cos:GetService", 0) == before  # refused before COS was asked

    inside = client_for(dora, INSIDE).get(f"/regions/{REGION}/")
    assert inside.status_code == 200
    assert f'data-bucket="{bucket}"' in inside.content.decode()


def test_it_refuses_listing_objects_from_outside_the_policys_networks(
    dora: Any, bucket: str, doras_file: str, stats: Any
) -> None:
    url = f"/buckets/{REGION}/{bucket}/"
    before = stats().get("cos:GetBucket", 0)
    outside = client_for(dora, OUTSIDE).get(url, {"prefix": "users/dora/"})
    assert outside.status_code in (403, 404)
    assert doras_file not in outside.content.decode()
    assert stats().get("cos:GetBucket", 0) == before

    inside = client_for(dora, INSIDE).get(url, {"prefix": "users/dora/"})
    assert inside.status_code == 200
    assert doras_file in inside.content.decode()


def test_it_refuses_deleting_from_outside_the_policys_networks(
    dora: Any, bucket: str, doras_file: str, root: cos.Keys
) -> None:
    url = f"/buckets/{REGION}/{bucket}/delete/"
    assert client_for(dora, OUTSIDE).post(url, {"key": doras_file}).status_code in (403, 404)
    assert exists(root, bucket, doras_file)

    assert client_for(dora, INSIDE).post(url, {"key": doras_file}).status_code == 302
    assert not exists(root, bucket, doras_file)


def test_it_refuses_creating_buckets_from_outside_the_policys_networks(
    account: CloudAccount, bucket: str, root: cos.Keys, stats: Any
) -> None:
    policy = make_policy(account, name="office bucket admin", preset="bucket admin", allowed_networks=NETWORKS)
    erin = make_user("erin", policy=policy)
    name = f"net-{secrets.token_hex(3)}"
    before = stats().get("cos:PutBucket", 0)
    outside = client_for(erin, OUTSIDE).post(f"/regions/{REGION}/", {"name": name})
    assert outside.status_code == 403
    assert stats().get("cos:PutBucket", 0) == before

    inside = client_for(erin, INSIDE).post(f"/regions/{REGION}/", {"name": name})
    assert inside.status_code == 302
    cos.head_bucket(root, region=REGION, bucket=f"{name}-{APPID}")  # raises CosError when it does not exist


def test_it_records_the_client_behind_the_proxy_in_the_audit(alice: Any, bucket: str) -> None:
    assert client_for(alice, OUTSIDE).get("/").status_code == 200
    if audit.outbox_enabled():
        audit.drain()
    row = IssuedCredential.objects.filter(username="alice").latest("created")
    assert row.client_ip == OUTSIDE


def test_it_ignores_a_forged_forwarded_header_without_a_trusted_proxy(alice: Any, bucket: str, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_for(alice, OUTSIDE).get("/").status_code == 200
    if audit.outbox_enabled():
        audit.drain()
    row = IssuedCredential.objects.filter(username="alice").latest("created")
    assert row.client_ip == "127.0.0.1"
