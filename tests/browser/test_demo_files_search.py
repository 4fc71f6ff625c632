"""Search, sort and paging on the objects page: a search is a COS Prefix within the folder, sorting reorders the
page COS returned (and the page says so), Previous walks back along the marker trail in the query string, and the
page counts what it shows; a search where the policy allows no listing is refused by the portal and by COS.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from demo import cos
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture, sdk_call
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

FOLDER = "users/alice/s/"
# 60 names starting "a-" and 60 starting "b-"; sizes that do not follow the names.
KEYS = {f"{FOLDER}{letter}-{i:03d}.txt": (i * 37) % 101 + 1 for letter in "ab" for i in range(60)}


@pytest.fixture
def many(portal: Portal) -> dict[str, int]:
    def put(item: tuple[str, int]) -> None:
        cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=item[0], body=b"x" * item[1])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, KEYS.items()))
    return KEYS


def shown(page: Any) -> list[str]:
    return list(page.locator("#object-list tr[data-key]").evaluate_all("rows => rows.map(r => r.dataset.key)"))


def test_it_pages_forward_and_back_along_the_marker_trail(portal: Portal, page: Any, many: dict[str, int]) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix=FOLDER))
    keys = sorted(many)
    pages = [keys[0:50], keys[50:100], keys[100:120]]
    assert shown(page) == pages[0]
    assert page.get_by_test_id("previous-page").count() == 0
    assert "Page 1: 50 files" in page.get_by_test_id("list-summary").inner_text()
    for number in (2, 3):
        page.get_by_test_id("next-page").click()
        page.wait_for_load_state()
        assert shown(page) == pages[number - 1]
        assert f"Page {number}: {len(pages[number - 1])} files" in page.get_by_test_id("list-summary").inner_text()
    assert page.get_by_test_id("next-page").count() == 0
    listings = portal.count("cos:GetBucket")
    for number in (2, 1):
        page.get_by_test_id("previous-page").click()
        page.wait_for_load_state()
        assert shown(page) == pages[number - 1]
    assert portal.count("cos:GetBucket") - listings == 2  # one page each, never the whole folder
    assert page.get_by_test_id("previous-page").count() == 0


def test_it_searches_names_within_the_folder(portal: Portal, page: Any, many: dict[str, int]) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix=FOLDER))
    page.get_by_test_id("search-input").fill("b-05")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert shown(page) == [f"{FOLDER}b-{i:03d}.txt" for i in range(50, 60)]
    summary = page.get_by_test_id("list-summary").inner_text()
    assert "Page 1: 10 files" in summary
    assert page.get_by_test_id("search-term").inner_text() == "b-05"
    # A search with more than a page pages like the folder, the search kept.
    page.get_by_test_id("search-input").fill("a")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.get_by_test_id("next-page").click()
    page.wait_for_load_state()
    assert shown(page) == [f"{FOLDER}a-{i:03d}.txt" for i in range(50, 60)]
    page.get_by_test_id("previous-page").click()
    page.wait_for_load_state()
    assert shown(page) == [f"{FOLDER}a-{i:03d}.txt" for i in range(50)]
    page.get_by_test_id("search-input").fill("zzz")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "No names in this folder start with “zzz”" in page.get_by_test_id("empty-objects").inner_text()


def test_it_sorts_the_page_it_has_and_says_so(portal: Portal, page: Any, many: dict[str, int]) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix=FOLDER))
    first_page = sorted(many)[:50]
    assert "Sorted within this page only" not in page.get_by_test_id("list-summary").inner_text()
    page.locator("a[data-sort=size]").click()
    page.wait_for_load_state()
    assert page.locator("a[data-sort=size]").get_attribute("aria-sort") == "ascending"
    assert "Sorted within this page only" in page.get_by_test_id("list-summary").inner_text()
    assert shown(page) == sorted(first_page, key=lambda k: (many[k], k))
    page.locator("a[data-sort=size]").click()
    page.wait_for_load_state()
    assert page.locator("a[data-sort=size]").get_attribute("aria-sort") == "descending"
    assert shown(page) == sorted(first_page, key=lambda k: (many[k], k), reverse=True)
    page.locator("a[data-sort=name]").click()
    page.wait_for_load_state()
    page.locator("a[data-sort=name]").click()
    page.wait_for_load_state()
    assert shown(page) == sorted(first_page, reverse=True)
    # The sort stays while paging.
    page.get_by_test_id("next-page").click()
    page.wait_for_load_state()
    assert shown(page) == sorted(sorted(many)[50:100], reverse=True)


def test_it_refuses_a_search_where_the_policy_allows_no_listing(
    portal: Portal, page: Any, many: dict[str, int]
) -> None:
    portal.user("bob")
    login(page, portal, "bob")
    response = page.goto(f"{objects_url(portal, prefix=FOLDER)}&q=a-")
    assert response.status == 403
    assert "name/cos:GetBucket" in page.get_by_test_id("denied-action").inner_text()
    assert "a-000.txt" not in page.content()
    page.goto(objects_url(portal, prefix="users/bob/"))
    listed = sdk_call(page, "getBucket", Prefix=f"{FOLDER}a-")
    assert (listed["ok"], listed["statusCode"], listed["code"]) == (False, 403, "AccessDenied")
