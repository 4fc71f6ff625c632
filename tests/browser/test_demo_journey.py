"""The demo journey in Chromium (issue 4, "What it must show" 1, 2 and 8): log in, regions, buckets of
ap-guangzhou, the demo bucket; create a bucket (a bad name shows the broken rule without a call to COS); and a
screenshot of every page under artifacts/screenshots/.
"""

from __future__ import annotations

import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture, screenshot
from tests.factories import APPID, REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def png(size: int = 64) -> bytes:
    """A small gradient PNG, made by hand (no image library needed)."""
    rows = b"".join(
        b"\x00" + bytes(c for x in range(size) for c in (255, 120 + x * 2, 40 + y * 3)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_it_walks_from_login_to_the_demo_bucket(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    portal.user("alice")
    page.goto(f"{portal.url}/")
    assert page.url.startswith(f"{portal.url}/accounts/login/")
    screenshot(page, artifacts_dir, "login")

    login(page, portal, "alice")
    assert page.get_by_test_id("nav-user").inner_text() == "alice"
    assert page.locator(".badge-local").inner_text().lower() == "local"
    guangzhou = page.locator("[data-region=ap-guangzhou]")
    assert "1 bucket" in guangzhou.inner_text()
    assert page.locator(".region-card").count() == 19
    screenshot(page, artifacts_dir, "regions")

    guangzhou.click()
    page.wait_for_url(f"{portal.url}/regions/{REGION}/")
    screenshot(page, artifacts_dir, "buckets")
    page.locator(f"[data-bucket='{portal.bucket}']").click()
    page.wait_for_url(f"{portal.url}/buckets/{REGION}/{portal.bucket}/")
    assert page.get_by_test_id("upload-prefix").inner_text() == "users/alice/"
    assert page.locator("h1").inner_text() == portal.bucket


def test_it_creates_a_bucket_and_explains_a_bad_name_without_calling_cos(
    portal: Portal, page: Any, artifacts_dir: Path
) -> None:
    portal.user("alice", preset="bucket admin")
    login(page, portal, "alice")
    page.goto(f"{portal.url}/regions/{REGION}/")
    before = portal.count("cos:PutBucket")

    page.get_by_label("Bucket name").fill("Photos_2024")
    page.get_by_role("button", name=f"Create bucket in {REGION}").click()
    error = page.locator("#id_name-error")
    assert "may contain only lowercase letters" in error.inner_text()
    assert page.get_by_label("Bucket name").get_attribute("aria-invalid") == "true"
    assert portal.count("cos:PutBucket") == before
    screenshot(page, artifacts_dir, "create-bucket-error")

    name = f"photos-{secrets.token_hex(3)}"
    page.get_by_label("Bucket name").fill(name)
    page.get_by_role("button", name=f"Create bucket in {REGION}").click()
    page.wait_for_url(objects_url(portal, f"{name}-{APPID}"))
    assert portal.count("cos:PutBucket") == before + 1
    assert f"Bucket {name}-{APPID} created" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("empty-objects").is_visible()
    screenshot(page, artifacts_dir, "bucket-created")

    # The new bucket's CORS rule admits the portal's origin: an upload from this page works right away.
    page.set_input_files("#upload-input", {"name": "first.txt", "mimeType": "text/plain", "buffer": b"first file"})
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    assert portal.stored("first.txt", bucket=f"{name}-{APPID}") == b"first file"


def test_it_screenshots_the_remaining_pages(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(f"{portal.url}/access/")
    screenshot(page, artifacts_dir, "access")
    page.get_by_test_id("token-name").fill("iPhone")
    page.get_by_test_id("create-token").click()
    assert page.get_by_test_id("new-token").input_value()
    screenshot(page, artifacts_dir, "access-token-created")

    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key="users/alice/screens/notes.txt", body=b"notes")
    cos.put_object(
        ROOT,
        region=REGION,
        bucket=portal.bucket,
        key="users/alice/screens/sunset.png",
        body=png(),
        content_type="image/png",
    )
    cos.put_object(
        ROOT, region=REGION, bucket=portal.bucket, key="users/alice/screens/broken.png", body=b"not an image"
    )
    page.goto(objects_url(portal, prefix="users/alice/screens/"))
    # An "image" that is not one shows the file icon instead of a broken picture.
    page.locator("tr[data-key='users/alice/screens/broken.png'] .icon-file").wait_for()
    # The thumbnail loads through the portal's redirect to a presigned link, under the page's CSP.
    thumbnail = page.locator("tr[data-key='users/alice/screens/sunset.png'] img.thumb")
    page.wait_for_function("img => img.complete && img.naturalWidth === 64", arg=thumbnail.element_handle())
    screenshot(page, artifacts_dir, "objects-thumbnails")
    page.locator("tr[data-key='users/alice/screens/notes.txt'] details.row-menu > summary").click()
    page.locator("tr[data-key='users/alice/screens/notes.txt'] a.delete").click()
    screenshot(page, artifacts_dir, "delete-confirm")
    page.get_by_role("button", name="Delete").click()
    assert "Deleted users/alice/screens/notes.txt" in page.locator(".messages").inner_text()

    page.goto(objects_url(portal, prefix="users/bob/"))
    assert "name/cos:GetBucket" in page.get_by_test_id("denied-action").inner_text()
    screenshot(page, artifacts_dir, "access-denied")

    page.goto(f"{portal.url}/regions/eu-frankfurt/")
    assert page.get_by_test_id("empty-buckets").is_visible()
    screenshot(page, artifacts_dir, "buckets-empty")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(objects_url(portal))
    screenshot(page, artifacts_dir, "objects-mobile")
