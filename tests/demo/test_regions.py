"""Regions (/): every region with its display name and how many of the user's visible buckets it holds."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from demo import cos
from qcloud.regions import REGIONS
from signer.models import CloudAccount
from tests.factories import APPID, make_policy, make_user


def count_for(body: str, region: str) -> str:
    match = re.search(rf'data-region="{region}">.*?<span class="count">([^<]*)</span>', body, re.S)
    assert match, region
    return match.group(1)


def test_it_lists_every_region_with_its_name(alice_client: Client) -> None:
    response = alice_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for code, name in REGIONS.items():
        assert f'href="/regions/{code}/"' in body
        assert name.replace("'", "&#x27;") in body


def test_it_counts_only_the_buckets_the_user_may_use(
    alice_client: Client, bucket: str, root: cos.Keys, account: CloudAccount
) -> None:
    cos.create_bucket(root, region="ap-tokyo", bucket=f"regions-private-{APPID}", cors_origins=[])
    body = alice_client.get("/").content.decode()
    assert count_for(body, "ap-guangzhou") == "1 bucket"  # the demo bucket her policy names
    assert count_for(body, "ap-tokyo") == "0 buckets"  # exists, but her policy says nothing about it

    admin = make_user("charlie", policy=make_policy(account, name="admin", preset="bucket admin"))
    client = Client()
    client.force_login(admin)
    assert count_for(client.get("/").content.decode(), "ap-tokyo") != "0 buckets"


def test_it_shows_access_denied_when_the_policy_lacks_get_service(account: CloudAccount, bucket: str) -> None:
    statements = [
        {
            "effect": "allow",
            "action": ["name/cos:GetObject"],
            "resource": [f"qcs::cos:ap-guangzhou:uid/{APPID}:{bucket}/*"],
        }
    ]
    user = make_user("dave", policy=make_policy(account, name="read only", statements=statements))
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "name/cos:GetService" in response.content.decode()


def test_it_explains_when_no_policy_is_assigned(db: Any, cloud: Any) -> None:
    user = make_user("erin")
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "No access policy yet" in body
    assert "NoPolicy" in body
