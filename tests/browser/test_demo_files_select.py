"""Selecting many rows on the objects page: checkboxes and "select all on this page", bulk delete through
DeleteMultipleObjects after a confirmation that names the count, and bulk download as one zip built in the
browser (byte-exact); a reader gets no bulk delete, an upload-only user nothing to select, and COS refuses a
forced delete.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import (
    FM_DONE,
    Portal,
    exists,
    fm_dialog,
    login,
    objects_url,
    portal_fixture,
    put,
    screenshot,
    sdk_call,
)

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def check(page: Any, key: str) -> None:
    page.locator(f"tr[data-key='{key}'] input[data-select=file]").check()


def test_it_deletes_the_selected_files_after_naming_the_count(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    for name in "abcde":
        put(portal, f"users/alice/pick/{name}.txt", name.encode())
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/pick/"))
    delete = page.get_by_test_id("bulk-delete")
    assert delete.is_disabled()
    for name in "abd":
        check(page, f"users/alice/pick/{name}.txt")
    assert page.get_by_test_id("selected-count").inner_text() == "3 selected"
    assert page.locator("input[data-select=all]").evaluate("box => box.indeterminate")
    screenshot(page, artifacts_dir, "files-selected")
    delete.click()
    dialog = fm_dialog(page)
    assert "Delete the 3 selected items?" in dialog.inner_text()
    assert "3 objects will be deleted" in dialog.inner_text()
    dialog.get_by_role("button", name="Delete 3 objects").click()
    page.wait_for_function(FM_DONE)
    assert "Deleted 3 objects." in page.get_by_test_id("fm-status").inner_text()
    for name in "abd":
        assert not exists(portal, f"users/alice/pick/{name}.txt")
    for name in "ce":
        assert exists(portal, f"users/alice/pick/{name}.txt")
    assert page.locator("#object-list tr[data-key]").count() == 2


def test_it_selects_everything_on_the_page_and_deletes_folders_too(portal: Portal, page: Any) -> None:
    put(portal, "users/alice/all/one.txt", b"1")
    put(portal, "users/alice/all/two.txt", b"2")
    put(portal, "users/alice/all/inner/three.txt", b"3")
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/all/"))
    page.locator("input[data-select=all]").check()
    assert page.get_by_test_id("selected-count").inner_text() == "3 selected"  # two files and a folder
    page.get_by_test_id("bulk-delete").click()
    dialog = fm_dialog(page)
    assert "3 objects will be deleted" in dialog.inner_text()  # the folder counted with what is in it
    dialog.get_by_role("button", name="Delete 3 objects").click()
    page.wait_for_function(FM_DONE)
    assert not exists(portal, "users/alice/all/inner/three.txt")
    assert page.get_by_test_id("empty-objects").is_visible()


def test_it_downloads_the_selection_as_one_zip(portal: Portal, page: Any, tmp_path: Path) -> None:
    bodies = {
        "photo.jpg": put(portal, "users/alice/zip/photo.jpg", os.urandom(200_000)),
        "名前 1.txt": put(portal, "users/alice/zip/名前 1.txt", "こんにちは".encode()),
    }
    inner = put(portal, "users/alice/zip/day/inner.bin", os.urandom(1000))
    put(portal, "users/alice/zip/left-out.txt", b"not selected")
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/zip/"))
    for name in bodies:
        check(page, f"users/alice/zip/{name}")
    page.locator("tr[data-prefix='users/alice/zip/day/'] input[data-select=folder]").check()
    with page.expect_download() as info:
        page.get_by_test_id("bulk-download").click()
    download = info.value
    assert download.suggested_filename == "zip.zip"
    path = tmp_path / "selection.zip"
    download.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        assert archive.testzip() is None  # every CRC matches
        assert sorted(archive.namelist()) == sorted([*bodies, "day/inner.bin"])
        for name, body in bodies.items():
            assert archive.read(name) == body
        assert archive.read("day/inner.bin") == inner
    page.wait_for_function(FM_DONE)
    assert "3 files zipped and downloaded." in page.get_by_test_id("fm-status").inner_text()


def test_it_offers_a_reader_no_bulk_delete_and_cos_refuses_it(portal: Portal, page: Any) -> None:
    put(portal, "users/frank/a.txt", b"a")
    put(portal, "users/frank/b.txt", b"b")
    portal.user("frank", preset="read own prefix")
    login(page, portal, "frank")
    page.goto(objects_url(portal, prefix="users/frank/"))
    assert page.get_by_test_id("bulk-delete").count() == 0
    assert page.get_by_test_id("bulk-download").count() == 1  # reading is allowed: selecting to download is
    refused = sdk_call(
        page, "deleteMultipleObject", Objects=[{"Key": "users/frank/a.txt"}, {"Key": "users/frank/b.txt"}]
    )
    assert refused["ok"], refused
    assert sorted((e["Key"], e["Code"]) for e in refused["data"]["Error"]) == [
        ("users/frank/a.txt", "AccessDenied"),
        ("users/frank/b.txt", "AccessDenied"),
    ]
    assert exists(portal, "users/frank/a.txt")
    assert exists(portal, "users/frank/b.txt")


def test_it_gives_an_upload_only_user_nothing_to_select(portal: Portal, page: Any) -> None:
    put(portal, "users/grace/a.txt", b"a")
    portal.user("grace", preset="upload to own prefix")
    login(page, portal, "grace")
    page.goto(objects_url(portal, prefix="users/grace/"))
    page.locator("tr[data-key='users/grace/a.txt']").wait_for()
    assert page.locator("#object-list input[data-select=file]").count() == 0
    assert page.locator("input[data-select=all]").is_disabled()
    assert page.get_by_test_id("bulk-delete").count() == 0
    assert page.get_by_test_id("bulk-download").count() == 0
