"""Buckets in Chromium: details (region, CORS rules, ACL; the parts a policy does not allow say so), deleting an
empty bucket, COS's own refusal of one that is not empty, no Delete for a user without DeleteBucket (and a denied
page if forced), and the create form only for those whose policy allows PutBucket."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.browser.pages_common import owner_statements
from tests.demo.live import ROOT, Portal, login, portal_fixture, screenshot
from tests.factories import APPID, REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def new_bucket(portal: Portal) -> str:
    name = f"pages-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(ROOT, region=REGION, bucket=name, cors_origins=[portal.url])
    return name


def exists(bucket: str) -> bool:
    try:
        cos.head_bucket(ROOT, region=REGION, bucket=bucket)
    except cos.CosError as exc:
        if exc.status != 404:
            raise
        return False
    return True


def test_it_shows_details_and_deletes_only_an_empty_bucket(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    portal.user("alice", statements=owner_statements())
    empty, full = new_bucket(portal), new_bucket(portal)
    cos.put_object(ROOT, region=REGION, bucket=full, key="keep.txt", body=b"keep")
    login(page, portal, "alice")

    page.goto(f"{portal.url}/regions/{REGION}/")
    page.locator(f"tr[data-row-bucket='{full}']").get_by_test_id("bucket-details").click()
    page.wait_for_url(f"**/buckets/{REGION}/{full}/details/")
    assert REGION in page.get_by_test_id("bucket-region").inner_text()
    assert page.get_by_test_id("cors-origins").inner_text() == portal.url
    assert page.get_by_test_id("acl-grant").count() == 1
    assert "FULL_CONTROL" in page.get_by_test_id("acl-grant").inner_text()
    screenshot(page, artifacts_dir, "bucket-details")

    page.get_by_test_id("bucket-delete").click()
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="Delete bucket").click()
    assert sent.value.status == 409
    refused = page.get_by_test_id("bucket-delete-refused").inner_text()
    assert "BucketNotEmpty" in refused
    assert "The bucket you tried to delete is not empty (objects or unfinished uploads)." in refused
    assert exists(full)
    screenshot(page, artifacts_dir, "bucket-delete-refused")

    page.goto(f"{portal.url}/regions/{REGION}/")
    page.locator(f"tr[data-row-bucket='{empty}']").get_by_test_id("bucket-delete").click()
    page.get_by_role("button", name="Delete bucket").click()
    page.wait_for_url(f"{portal.url}/regions/{REGION}/")
    assert f"Bucket {empty} deleted" in page.locator(".messages").inner_text()
    assert page.locator(f"[data-bucket='{empty}']").count() == 0
    assert not exists(empty)


def test_it_says_what_the_policy_does_not_allow(portal: Portal, page: Any) -> None:
    bucket = new_bucket(portal)
    portal.user("bob", statements=owner_statements(bucket_actions=["name/cos:HeadBucket", "name/cos:GetBucket"]))
    login(page, portal, "bob")
    page.goto(f"{portal.url}/regions/{REGION}/")
    row = page.locator(f"tr[data-row-bucket='{bucket}']")
    assert row.get_by_test_id("bucket-details").is_visible()
    assert row.get_by_test_id("bucket-delete").count() == 0
    assert page.get_by_test_id("create-bucket-form").count() == 0
    assert "name/cos:PutBucket" in page.get_by_test_id("create-denied").inner_text()

    page.goto(f"{portal.url}/buckets/{REGION}/{bucket}/details/")
    assert "name/cos:GetBucketCORS" in page.get_by_test_id("cors-denied").inner_text()
    assert "name/cos:GetBucketACL" in page.get_by_test_id("acl-denied").inner_text()
    assert page.get_by_test_id("bucket-delete").count() == 0

    response = page.goto(f"{portal.url}/buckets/{REGION}/{bucket}/delete-bucket/")
    assert response.status == 403
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:DeleteBucket"
    assert exists(bucket)


def test_it_offers_the_create_form_to_a_bucket_admin(portal: Portal, page: Any) -> None:
    portal.user("carol", preset="bucket admin")
    login(page, portal, "carol")
    page.goto(f"{portal.url}/regions/{REGION}/")
    assert page.get_by_test_id("create-bucket-form").is_visible()
    assert page.get_by_test_id("create-denied").count() == 0
