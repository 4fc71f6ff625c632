"""Per page, bob cannot see or act on alice's things: her private bucket is missing from his
regions and buckets pages and answers 404; her folder, her files, their download and delete links answer 403 (COS
would refuse too); her API tokens are neither shown to him nor revocable by him; /sts will not narrow his policy to
her prefix.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from django.test import Client
from knox.models import AuthToken

from demo import cos
from signer.models import CloudAccount
from signer.presets import preset_statements
from tests.factories import APPID, REGION, make_policy, make_user

PRIVATE = f"alice-private-{APPID}"


@pytest.fixture
def private_bucket(root: cos.Keys, bucket: str) -> str:
    try:
        cos.create_bucket(root, region="ap-chengdu", bucket=PRIVATE, cors_origins=[])
    except cos.CosError as exc:
        if exc.status != 409:
            raise
    cos.put_object(root, region="ap-chengdu", bucket=PRIVATE, key="plans.txt", body=b"alice's plans")
    return PRIVATE


@pytest.fixture
def alice(account: CloudAccount, bucket: str, private_bucket: str) -> Any:
    statements = preset_statements("read-write own prefix", bucket=bucket, region=REGION)
    statements += preset_statements("read whole bucket", bucket=private_bucket, region="ap-chengdu")
    return make_user("alice", policy=make_policy(account, name="alice's", statements=statements))


@pytest.fixture
def alices_file(root: cos.Keys, bucket: str) -> str:
    key = f"users/alice/iso-{secrets.token_hex(3)}/diary.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"dear diary")
    return key


def chengdu_count(client: Client) -> str:
    match = re.search(
        r'data-region="ap-chengdu">.*?<span class="count">([^<]*)</span>', client.get("/").content.decode(), re.S
    )
    assert match
    return match.group(1)


def test_it_leaves_her_private_bucket_out_of_his_region_counts(alice_client: Client, bob_client: Client) -> None:
    assert chengdu_count(alice_client) == "1 bucket"
    assert chengdu_count(bob_client) == "0 buckets"


def test_it_leaves_her_private_bucket_out_of_his_bucket_list(
    alice_client: Client, bob_client: Client, private_bucket: str
) -> None:
    assert f'data-bucket="{private_bucket}"' in alice_client.get("/regions/ap-chengdu/").content.decode()
    assert f'data-bucket="{private_bucket}"' not in bob_client.get("/regions/ap-chengdu/").content.decode()


def test_it_refuses_him_her_bucket_and_her_folder(
    alice_client: Client, bob_client: Client, bucket: str, private_bucket: str, alices_file: str
) -> None:
    assert "plans.txt" in alice_client.get(f"/buckets/ap-chengdu/{private_bucket}/").content.decode()
    assert bob_client.get(f"/buckets/ap-chengdu/{private_bucket}/").status_code == 404
    folder = alices_file.rsplit("/", 1)[0] + "/"
    assert bob_client.get(f"/buckets/{REGION}/{bucket}/", {"prefix": folder}).status_code == 403
    assert bob_client.get(f"/buckets/{REGION}/{bucket}/", {"prefix": "users/"}).status_code == 403
    assert "diary.txt" not in bob_client.get(f"/buckets/{REGION}/{bucket}/").content.decode()


def test_it_refuses_him_downloads_of_her_files(
    bob_client: Client, bucket: str, private_bucket: str, alices_file: str
) -> None:
    assert bob_client.get(f"/buckets/{REGION}/{bucket}/download/", {"key": alices_file}).status_code == 403
    assert bob_client.get(f"/buckets/ap-chengdu/{private_bucket}/download/", {"key": "plans.txt"}).status_code == 404


def test_it_refuses_him_deleting_her_files(bob_client: Client, bucket: str, alices_file: str, root: cos.Keys) -> None:
    assert bob_client.get(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file}).status_code == 403
    assert bob_client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file}).status_code == 403
    folder = alices_file.rsplit("/", 1)[0] + "/"
    assert [o.key for o in cos.list_objects(root, region=REGION, bucket=bucket, prefix=folder).objects] == [alices_file]


def test_it_hides_her_tokens_and_policies_from_him(alice_client: Client, bob_client: Client, alice: Any) -> None:
    alice_client.post("/access/tokens/")
    token = AuthToken.objects.get(user=alice)
    page = bob_client.get("/access/").content.decode()
    assert token.token_key not in page
    assert "alice&#x27;s" not in page  # her policy is not listed for him
    assert bob_client.post("/access/tokens/revoke/", {"token_key": token.token_key}).status_code == 404
    assert AuthToken.objects.filter(user=alice).exists()


def test_it_refuses_him_upload_credentials_for_her_prefix(bob_client: Client, bucket: str) -> None:
    scope = {"action": "name/cos:PutObject", "bucket": bucket, "region": REGION, "prefix": "users/alice/x.bin"}
    response = bob_client.post("/sts", {"scopes": [scope]}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "ScopeNotAllowed"


def test_it_refuses_him_her_files_pages_previews_and_share_links(
    bob_client: Client, bucket: str, alices_file: str
) -> None:
    base = f"/buckets/{REGION}/{bucket}/preview/"
    for response in (
        bob_client.get(base, {"key": alices_file}),
        bob_client.post(base, {"key": alices_file, "expires": "300"}),
        bob_client.get(f"{base}file/", {"key": alices_file, "as": "thumbnail"}),
        bob_client.get(f"{base}file/", {"key": alices_file, "as": "inline"}),
    ):
        assert response.status_code == 403, response.status_code
        assert "Location" not in response  # no presigned link handed out
        assert "x-cos-security-token" not in response.content.decode()


def test_it_refuses_him_her_private_buckets_details_and_its_deletion(
    bob_client: Client, private_bucket: str, root: cos.Keys
) -> None:
    details = bob_client.get(f"/buckets/ap-chengdu/{private_bucket}/details/")
    assert details.status_code == 404
    for response in (
        bob_client.get(f"/buckets/ap-chengdu/{private_bucket}/delete-bucket/"),
        bob_client.post(f"/buckets/ap-chengdu/{private_bucket}/delete-bucket/"),
    ):
        assert response.status_code == 404
    assert cos.head_object(root, region="ap-chengdu", bucket=private_bucket, key="plans.txt").size > 0


def test_it_does_not_let_him_choose_her_policy_for_his_pages(bob_client: Client, alice: Any) -> None:
    refused = bob_client.post("/access/policy/", {"policy": "alice's"})
    assert refused.status_code == 403
    assert "no policy named &quot;alice&#x27;s&quot; is assigned to you" in refused.content.decode()
    assert "alice&#x27;s" not in bob_client.get("/access/").content.decode()
