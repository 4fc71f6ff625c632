"""Buckets of a region (/regions/<region>/) and the Create bucket form."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from django.test import Client

from demo import cos
from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.factories import APPID, REGION, make_policy, make_user


@pytest.fixture
def admin_client(account: CloudAccount, bucket: str) -> Client:
    user = make_user("charlie", policy=make_policy(account, name="bucket admin", preset="bucket admin"))
    client = Client()
    client.force_login(user)
    return client


def put_buckets(stats: Any) -> int:
    return int(stats().get("cos:PutBucket", 0))


def test_it_lists_the_buckets_of_the_region_through_get_service(alice_client: Client, bucket: str) -> None:
    response = alice_client.get(f"/regions/{REGION}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-bucket="{bucket}"' in body
    assert f'href="/buckets/{REGION}/{bucket}/"' in body


def test_it_shows_an_empty_state_in_a_region_without_buckets(alice_client: Client) -> None:
    response = alice_client.get("/regions/eu-frankfurt/")
    assert response.status_code == 200
    assert "No buckets in this region yet" in response.content.decode()


def test_it_answers_404_for_an_unknown_region(alice_client: Client) -> None:
    assert alice_client.get("/regions/mars-north-1/").status_code == 404


def test_it_hides_buckets_the_policy_says_nothing_about(alice_client: Client, root: cos.Keys) -> None:
    other = f"buckets-other-{APPID}"
    cos.create_bucket(root, region=REGION, bucket=other, cors_origins=[])
    body = alice_client.get(f"/regions/{REGION}/").content.decode()
    assert f'data-bucket="{other}"' not in body


def test_it_shows_the_rule_a_bad_name_breaks_without_calling_cos(admin_client: Client, stats: Any) -> None:
    before = put_buckets(stats)
    response = admin_client.post(f"/regions/{REGION}/", {"name": "Bad_Name"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "may contain only lowercase letters a-z, digits 0-9 and &#x27;-&#x27;" in body
    assert 'aria-invalid="true"' in body
    assert 'class="field-error" id="id_name-error"' in body
    assert put_buckets(stats) == before

    response = admin_client.post(f"/regions/{REGION}/", {"name": "-starts-with-dash"})
    assert "must not start with" in response.content.decode()
    response = admin_client.post(f"/regions/{REGION}/", {"name": "x" * 51})
    assert "at most 50 characters" in response.content.decode()
    assert put_buckets(stats) == before


def test_it_creates_a_bucket_with_a_cors_rule_for_the_portal(admin_client: Client, cloud: RunningServer) -> None:
    name = f"created-{secrets.token_hex(4)}"
    response = admin_client.post(f"/regions/{REGION}/", {"name": name})
    full = f"{name}-{APPID}"
    assert response.status_code == 302
    assert response["Location"] == f"/buckets/{REGION}/{full}/"
    assert full in admin_client.get(f"/regions/{REGION}/").content.decode()

    # The browser at the portal's origin may now upload: the preflight passes and ETag is exposed.
    preflight = requests.options(
        f"{cloud.url}/cos/{REGION}/{full}/some/key.bin",
        headers={
            "Origin": "http://testserver",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,x-cos-security-token,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://testserver"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = requests.options(
        f"{cloud.url}/cos/{REGION}/{full}/some/key.bin",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_it_explains_bucket_already_exists_next_to_the_name(admin_client: Client, bucket: str) -> None:
    response = admin_client.post(f"/regions/{REGION}/", {"name": bucket.rsplit("-", 1)[0]})
    assert response.status_code == 400
    body = response.content.decode()
    # Re-creating one's own bucket is BucketAlreadyOwnedByYou on COS (and localcloud).
    assert "already has a bucket with this name" in body
    assert 'id="id_name-error"' in body


def test_it_names_the_missing_permission_when_the_policy_cannot_create(alice_client: Client, stats: Any) -> None:
    response = alice_client.post(f"/regions/{REGION}/", {"name": f"alice-{secrets.token_hex(3)}"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "name/cos:PutBucket" in body
    assert "does not allow" in body


def test_it_requires_csrf_to_create(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/regions/{REGION}/", {"name": "no-token"}).status_code == 403


def test_it_says_when_the_bucket_was_created_but_its_cors_rule_was_refused(
    account: CloudAccount, bucket: str, root: cos.Keys
) -> None:
    statements = [
        {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
        {
            "effect": "allow",
            "action": ["name/cos:PutBucket", "name/cos:HeadBucket"],
            "resource": [f"qcs::cos:*:uid/{APPID}:*/"],
        },
    ]
    client = Client()
    client.force_login(make_user("ivan", policy=make_policy(account, name="no cors", statements=statements)))
    name = f"nocors-{secrets.token_hex(3)}"
    response = client.post(f"/regions/{REGION}/", {"name": name})
    assert response.status_code == 403
    body = response.content.decode()
    assert f"Bucket {name}-{APPID} was created, but its CORS rule could not be set" in body
    assert f"{name}-{APPID}" in [b.name for b in cos.list_buckets(root, region=REGION)]
