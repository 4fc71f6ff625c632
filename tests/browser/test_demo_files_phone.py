"""The objects page on a 390 x 844 phone: nothing scrolls sideways, each row's actions are in its row menu and
reachable, the upload control is within the first two screens of a 50-file folder, and every touch target is at
least 44 px; for a reader the same holds with fewer actions, and the upload panel says why there is none.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture, row_menu, screenshot
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Every control a finger uses on the objects page (links in running text, like the breadcrumbs, aside).
TARGETS = """() => Array.from(document.querySelectorAll(
  '.file-toolbar button, .file-toolbar input[type=search], #object-list summary, #object-list label.select-box,'
  + ' #object-list a.object-link, #object-list th a, #object-list details[open] li > *, .pager a, #dropzone,'
  + ' .folder-pick, .upload-panel button'))
  .filter((node) => node.getClientRects().length && getComputedStyle(node).visibility !== 'hidden')
  .map((node) => { const box = node.getBoundingClientRect();
    return {what: node.outerHTML.slice(0, 80), width: box.width, height: box.height}; })"""


def fill(portal: Portal, user: str) -> str:
    folder = f"users/{user}/phone/"

    def put(i: int) -> None:
        key = f"{folder}a file with a rather long name, number {i:02d}.txt"
        cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=key, body=b"x" * (i + 1))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(50)))
    return folder


def small_targets(page: Any) -> list[dict[str, Any]]:
    return [t for t in page.evaluate(TARGETS) if t["width"] < 44 or t["height"] < 44]


def test_it_fits_a_phone_with_actions_in_row_menus(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    folder = fill(portal, "alice")
    portal.user("alice")
    page.set_viewport_size(PHONE)
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix=folder))
    assert page.locator("#object-list tr[data-key]").count() == 50
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    top = page.evaluate("() => document.getElementById('dropzone').getBoundingClientRect().top + window.scrollY")
    assert top < 2 * 844, f"the upload control is {top:.0f} px down"
    assert small_targets(page) == []
    screenshot(page, artifacts_dir, "files-phone")

    last = f"tr[data-key='{folder}a file with a rather long name, number 49.txt']"
    menu = row_menu(page, last)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # the open menu too
    items = menu.locator("details[open] li > *")
    assert items.evaluate_all("nodes => nodes.map(n => n.textContent.trim())") == [
        "Preview",
        "Download",
        "Rename…",
        "Move…",
        "Delete",
    ]
    for box in items.evaluate_all("nodes => nodes.map(n => n.getBoundingClientRect().toJSON())"):
        assert box["left"] >= 0, box
        assert box["right"] <= 390, box
    assert small_targets(page) == []
    screenshot(page, artifacts_dir, "files-phone-menu")
    with page.expect_download() as info:
        menu.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename == "a file with a rather long name, number 49.txt"


def test_it_fits_a_phone_for_a_reader_too(portal: Portal, page: Any) -> None:
    folder = fill(portal, "frank")
    portal.user("frank", preset="read own prefix")
    page.set_viewport_size(PHONE)
    login(page, portal, "frank")
    page.goto(objects_url(portal, prefix=folder))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert "does not allow uploads" in page.locator(".upload-panel").inner_text()
    assert page.locator("#dropzone").count() == 0
    menu = row_menu(page, f"tr[data-key='{folder}a file with a rather long name, number 00.txt']")
    assert menu.locator("details[open] li > *").evaluate_all("nodes => nodes.map(n => n.textContent.trim())") == [
        "Preview",
        "Download",
    ]
    assert small_targets(page) == []
