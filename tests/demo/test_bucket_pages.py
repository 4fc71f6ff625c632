"""Bucket details (/buckets/<region>/<bucket>/details/) and deleting a bucket (.../delete-bucket/), each with the
user's own credentials: a part the policy does not allow says so and is not asked of COS; COS refuses a bucket that
is not empty with its own message; the create form is offered only to those whose policy allows PutBucket."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from demo import cos
from demo.access import access_for
from signer.models import CloudAccount
from tests.factories import APPID, REGION, make_policy, make_user

ANY_BUCKET = "qcs::cos:*:uid/${appid}:*/"


def client_for(account: CloudAccount, username: str, actions: list[str]) -> Client:
    statements = [
        {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
        {"effect": "allow", "action": ["name/cos:HeadBucket", *actions], "resource": [ANY_BUCKET]},
    ]
    user = make_user(username, policy=make_policy(account, name=f"{username} buckets", statements=statements))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def empty_bucket(root: cos.Keys, cloud: Any) -> str:
    name = f"empty-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(root, region=REGION, bucket=name, cors_origins=["http://127.0.0.1:8000"])
    return name


def test_it_shows_region_cors_and_acl(account: CloudAccount, empty_bucket: str) -> None:
    client = client_for(account, "carol", ["name/cos:GetBucketCORS", "name/cos:GetBucketACL"])
    response = client.get(f"/buckets/{REGION}/{empty_bucket}/details/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<code>{REGION}</code>" in body
    assert 'data-testid="cors-rule"' in body
    assert "<code>http://127.0.0.1:8000</code>" in body
    assert 'data-testid="acl-grant"' in body
    assert "FULL_CONTROL" in body


def test_it_says_which_parts_the_policy_does_not_allow(account: CloudAccount, empty_bucket: str, stats: Any) -> None:
    client = client_for(account, "dave", ["name/cos:GetBucketCORS"])
    before = stats().get("cos:GetBucketACL", 0)
    body = client.get(f"/buckets/{REGION}/{empty_bucket}/details/").content.decode()
    assert 'data-testid="cors-rule"' in body
    assert 'data-testid="acl-denied"' in body
    assert "name/cos:GetBucketACL" in body
    assert stats().get("cos:GetBucketACL", 0) == before  # not asked


def test_it_deletes_an_empty_bucket(account: CloudAccount, empty_bucket: str, root: cos.Keys) -> None:
    client = client_for(account, "erin", ["name/cos:DeleteBucket"])
    listing = client.get(f"/regions/{REGION}/").content.decode()
    assert f'href="/buckets/{REGION}/{empty_bucket}/delete-bucket/"' in listing
    assert client.get(f"/buckets/{REGION}/{empty_bucket}/delete-bucket/").status_code == 200
    response = client.post(f"/buckets/{REGION}/{empty_bucket}/delete-bucket/")
    assert response.status_code == 302
    assert response["Location"] == f"/regions/{REGION}/"
    with pytest.raises(cos.CosError) as gone:
        cos.head_bucket(root, region=REGION, bucket=empty_bucket)
    assert gone.value.status == 404


def test_cos_refuses_a_bucket_that_is_not_empty(account: CloudAccount, empty_bucket: str, root: cos.Keys) -> None:
    cos.put_object(root, region=REGION, bucket=empty_bucket, key="keep.txt", body=b"x")
    client = client_for(account, "frank", ["name/cos:DeleteBucket"])
    response = client.post(f"/buckets/{REGION}/{empty_bucket}/delete-bucket/")
    assert response.status_code == 409
    body = response.content.decode()
    assert "COS refused: BucketNotEmpty." in body
    assert "The bucket you tried to delete is not empty" in body
    cos.head_bucket(root, region=REGION, bucket=empty_bucket)  # still there


def test_it_refuses_delete_without_delete_bucket(account: CloudAccount, empty_bucket: str, root: cos.Keys) -> None:
    client = client_for(account, "grace", [])
    assert "delete-bucket/" not in client.get(f"/regions/{REGION}/").content.decode()
    response = client.post(f"/buckets/{REGION}/{empty_bucket}/delete-bucket/")
    assert response.status_code == 403
    assert 'data-testid="denied-action">name/cos:DeleteBucket<' in response.content.decode()
    # Forced with the same temporary credentials, COS refuses too.
    keys = access_for(response.wsgi_request).keys
    with pytest.raises(cos.CosError) as refused:
        cos.delete_bucket(keys, region=REGION, bucket=empty_bucket)
    assert (refused.value.code, refused.value.status) == ("AccessDenied", 403)
    cos.head_bucket(root, region=REGION, bucket=empty_bucket)


def test_it_hides_the_create_form_without_put_bucket(alice_client: Client, account: CloudAccount) -> None:
    body = alice_client.get(f"/regions/{REGION}/").content.decode()
    assert 'data-testid="create-bucket-form"' not in body
    assert 'data-testid="create-denied"' in body
    assert "name/cos:PutBucket" in body
    admin = client_for(account, "heidi", ["name/cos:PutBucket"])
    assert 'data-testid="create-bucket-form"' in admin.get(f"/regions/{REGION}/").content.decode()


def test_it_answers_404_for_a_bucket_the_policy_says_nothing_about(alice_client: Client, empty_bucket: str) -> None:
    assert alice_client.get(f"/buckets/{REGION}/{empty_bucket}/details/").status_code == 404
    assert alice_client.post(f"/buckets/{REGION}/{empty_bucket}/delete-bucket/").status_code == 404
