"""A bucket with 2,500 objects pages by marker (issue 4, "What it must show" 7): each page is one GetBucket of 50
keys, never the whole bucket, and walking the pages shows every key exactly once.

How long a page takes is a benchmark's question, not this test's (a wall-clock bound here failed CI on a slow host:
the page's load event waits for its 50 thumbnails): `python -m bench.demo_page` measures the first page of a
100,000-object bucket against a 10-object one, and bench/RESULTS.md records it.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture, screenshot
from tests.factories import APPID, REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

COUNT = 2500
PAGE_SIZE = 50


@pytest.fixture
def big_bucket(portal: Portal) -> tuple[str, list[str]]:
    bucket = f"paging-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(ROOT, region=REGION, bucket=bucket, cors_origins=[portal.url])
    keys = [f"photos/{i:05d}.jpg" for i in range(COUNT)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: cos.put_object(ROOT, region=REGION, bucket=bucket, key=k, body=b"x"), keys))
    return bucket, keys


def test_it_pages_2500_objects_by_marker(
    portal: Portal, page: Any, big_bucket: tuple[str, list[str]], artifacts_dir: Path
) -> None:
    bucket, keys = big_bucket
    portal.user("alice", preset="read whole bucket", bucket=bucket)
    login(page, portal, "alice")

    listings = portal.count("cos:GetBucket")
    response = page.goto(objects_url(portal, bucket, prefix="photos/"))
    assert response.status == 200
    assert portal.count("cos:GetBucket") - listings == 1  # one page, one request: never the whole bucket
    assert page.locator("#object-list tr[data-key]").count() == PAGE_SIZE
    screenshot(page, artifacts_dir, "objects-paging")

    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        seen.extend(page.locator("#object-list tr[data-key]").evaluate_all("rows => rows.map(r => r.dataset.key)"))
        next_link = page.get_by_test_id("next-page")
        if next_link.count() == 0:
            break
        next_link.click()
        page.wait_for_load_state()
    assert pages == COUNT // PAGE_SIZE
    assert seen == keys
    assert portal.count("cos:GetBucket") - listings == pages
