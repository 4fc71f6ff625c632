"""The file manager from start to end, as one person uses it in Chromium, every COS call with their own temporary
credentials: make a folder, upload a directory into it, rename one file, move another, preview an image, share a
link and fetch it from a browser that never signed in, select three files and delete them, delete the folder, and
delete the bucket, which is empty by then."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.browser.pages_common import BUCKET_ACTIONS, owner_statements, picture
from tests.demo.live import (
    ROOT,
    Portal,
    exists,
    fetch_as_stranger,
    fm_answer,
    fm_dialog,
    fm_finished,
    keys_under,
    login,
    objects_url,
    portal_fixture,
    row_menu,
    screenshot,
)
from tests.factories import APPID, REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_a_person_manages_a_folder_of_photos_from_start_to_end(
    portal: Portal, browser: Any, page: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    name = f"trips-{secrets.token_hex(3)}-{APPID}"
    cos.create_bucket(ROOT, region=REGION, bucket=name, cors_origins=[portal.url])
    trips = dataclasses.replace(portal, bucket=name)
    portal.user(
        "alice", statements=owner_statements(name, bucket_actions=[*BUCKET_ACTIONS, "name/cos:DeleteMultipleObjects"])
    )
    login(page, portal, "alice")

    # A folder, then a directory from the computer uploaded into it with its structure.
    page.goto(objects_url(trips))
    page.get_by_test_id("new-folder").click()
    fm_answer(page, "summer", "Create folder")
    page.locator("a[data-folder='summer']").click()
    page.get_by_test_id("empty-objects").wait_for()
    photos = {
        "beach.png": picture(1600, 1200),
        "dunes.png": picture(800, 600),
        "notes.txt": b"sunscreen\n",
        "day 2/boat.png": picture(640, 480),
        "day 2/harbour.png": picture(320, 240),
    }
    local = tmp_path / "album"
    for path, body in photos.items():
        (local / path).parent.mkdir(parents=True, exist_ok=True)
        (local / path).write_bytes(body)
    page.set_input_files("#upload-folder-input", str(local))
    page.wait_for_function(
        f"() => document.querySelectorAll('.upload-item[data-state=done]').length === {len(photos)}", timeout=60_000
    )
    for path, body in photos.items():
        assert trips.stored(f"summer/album/{path}") == body, path
    page.locator("a[data-folder='album']").wait_for()
    page.locator("a[data-folder='album']").click()
    screenshot(page, artifacts_dir, "journey-folder")

    # Rename one file, move another into the sub-folder: copies at COS, then the sources go.
    row_menu(page, "tr[data-key='summer/album/notes.txt']").get_by_role("button", name="Rename…").click()
    fm_answer(page, "packing list.txt", "Rename")
    assert "Moved 1 object." in fm_finished(page)
    assert trips.stored("summer/album/packing list.txt") == photos["notes.txt"]
    assert not exists(trips, "summer/album/notes.txt")
    page.locator("tr[data-key='summer/album/packing list.txt']").wait_for()
    row_menu(page, "tr[data-key='summer/album/dunes.png']").get_by_role("button", name="Move…").click()
    fm_answer(page, "summer/album/day 2", "Move")
    assert "Moved 1 object." in fm_finished(page)
    assert trips.stored("summer/album/day 2/dunes.png") == photos["dunes.png"]
    assert not exists(trips, "summer/album/dunes.png")

    # The image's page shows a thumbnail made at COS, never the 1600 x 1200 original.
    page.reload()
    menu = row_menu(page, "tr[data-key='summer/album/beach.png']")
    with page.expect_response(lambda r: "imageMogr2" in r.url and r.status != 302) as thumbnail:
        menu.get_by_role("link", name="Preview").click()
    page.wait_for_function("() => document.querySelector('[data-testid=preview-image]').naturalWidth > 0")
    assert thumbnail.value.status == 200
    assert portal.is_storage(thumbnail.value.url)
    size = page.get_by_test_id("preview-image").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [960, 720]  # what COS made of the 1600 x 1200 original

    # A share link, fetched byte for byte by a browser that never signed in.
    page.get_by_test_id("share-create").click()
    url = page.get_by_test_id("share-url").input_value()
    screenshot(page, artifacts_dir, "journey-share")
    _name, shared = fetch_as_stranger(browser, url)
    assert shared == photos["beach.png"]

    # Three files selected and deleted, after a confirmation that names the count.
    page.goto(objects_url(trips, prefix="summer/album/day 2/"))
    for file in ("boat.png", "harbour.png", "dunes.png"):
        page.locator(f"tr[data-key='summer/album/day 2/{file}'] input[data-select=file]").check()
    assert page.get_by_test_id("selected-count").inner_text() == "3 selected"
    page.get_by_test_id("bulk-delete").click()
    assert "3 objects will be deleted" in fm_dialog(page).inner_text()
    fm_dialog(page).get_by_role("button", name="Delete 3 objects").click()
    assert "Deleted 3 objects." in fm_finished(page)
    assert keys_under(trips, "summer/album/day 2/") == []

    # The folder with what is left in it (the marker, beach.png, the renamed list).
    page.goto(objects_url(trips))
    row_menu(page, "tr[data-prefix='summer/']").get_by_role("button", name="Delete folder…").click()
    assert "3 objects will be deleted" in fm_dialog(page).inner_text()
    fm_dialog(page).get_by_role("button", name="Delete 3 objects").click()
    assert "Deleted 3 objects." in fm_finished(page)
    assert keys_under(trips, "") == []

    # And the bucket, empty now.
    page.goto(f"{portal.url}/regions/{REGION}/")
    page.locator(f"tr[data-row-bucket='{name}']").get_by_test_id("bucket-delete").click()
    page.get_by_role("button", name="Delete bucket").click()
    page.wait_for_url(f"{portal.url}/regions/{REGION}/")
    assert f"Bucket {name} deleted" in page.locator(".messages").inner_text()
    with pytest.raises(cos.CosError) as gone:
        cos.head_bucket(ROOT, region=REGION, bucket=name)
    assert gone.value.status == 404
