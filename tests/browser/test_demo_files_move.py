"""Rename and move on the objects page: copy at COS, then delete the source. Byte-exact results for a file, a file
into another folder, a large file (multipart Upload Part - Copy, never through the browser) and a folder; a copy
that fails half way keeps every source whose copy did not succeed and says which; and a user whose policy refuses
it has no Rename or Move, while COS refuses the copy made from the page's console.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from signer.presets import preset_statements
from tests.demo.live import (
    FM_DONE,
    MiB,
    Portal,
    exists,
    fm_answer,
    fm_dialog,
    keys_under,
    login,
    md5,
    objects_url,
    portal_fixture,
    put,
    row_menu,
    screenshot,
    sdk_call,
)
from tests.factories import REGION, make_policy, make_user

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_renames_and_moves_a_file_byte_exact(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    body = put(portal, "users/alice/docs/report.txt", os.urandom(5000))
    other = put(portal, "users/alice/docs/other.bin", os.urandom(3000))
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/docs/"))

    row_menu(page, "tr[data-key='users/alice/docs/report.txt']").get_by_role("button", name="Rename…").click()
    screenshot(page, artifacts_dir, "files-rename")
    fm_answer(page, "final report.txt", "Rename")
    page.wait_for_function(FM_DONE)
    assert "Moved 1 object." in page.get_by_test_id("fm-status").inner_text()
    assert portal.stored("users/alice/docs/final report.txt") == body
    assert not exists(portal, "users/alice/docs/report.txt")
    page.locator("tr[data-key='users/alice/docs/final report.txt']").wait_for()

    row_menu(page, "tr[data-key='users/alice/docs/other.bin']").get_by_role("button", name="Move…").click()
    fm_answer(page, "users/bob/", "Move")  # not hers: the dialog says so before anything is sent
    dialog = fm_dialog(page)
    assert "does not let you write to users/bob/other.bin" in dialog.locator(".fm-dialog-error").inner_text()
    fm_answer(page, "users/alice/archive/2026", "Move")
    page.wait_for_function(FM_DONE)
    assert portal.stored("users/alice/archive/2026/other.bin") == other
    assert not exists(portal, "users/alice/docs/other.bin")


def test_it_copies_a_large_file_at_cos_in_parts(portal: Portal, page: Any) -> None:
    body = put(portal, "users/alice/big.bin", os.urandom(23 * MiB))
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    before = portal.counts()
    row_menu(page, "tr[data-key='users/alice/big.bin']").get_by_role("button", name="Rename…").click()
    fm_answer(page, "big-renamed.bin", "Rename")
    page.wait_for_function(FM_DONE, timeout=60_000)
    after = portal.counts()
    assert after.get("cos:UploadPartCopy", 0) - before.get("cos:UploadPartCopy", 0) == 3  # 10 + 10 + 3 MiB
    assert after.get("cos:PutObjectCopy", 0) == before.get("cos:PutObjectCopy", 0)
    # The bytes moved inside COS: the browser sent a few requests, not 23 MiB.
    assert after.get("cos:bytes_in", 0) - before.get("cos:bytes_in", 0) < MiB
    assert md5(portal.stored("users/alice/big-renamed.bin")) == md5(body)
    assert not exists(portal, "users/alice/big.bin")
    assert portal.uploads_in_progress("users/alice/big") == []  # the copy left no multipart upload open


def test_it_renames_a_folder_with_everything_in_it(portal: Portal, page: Any) -> None:
    files = {
        name: put(portal, f"users/alice/album/{name}", os.urandom(100 + i))
        for i, name in enumerate(["a.jpg", "b.jpg", "sub/c.jpg"])
    }
    put(portal, "users/alice/album/", b"")
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    row_menu(page, "tr[data-prefix='users/alice/album/']").get_by_role("button", name="Rename…").click()
    fm_answer(page, "album 2026", "Rename")
    page.wait_for_function(FM_DONE)
    assert "Moved 4 objects." in page.get_by_test_id("fm-status").inner_text()
    assert keys_under(portal, "users/alice/album/") == []
    assert sorted(keys_under(portal, "users/alice/album 2026/")) == [
        "users/alice/album 2026/",
        "users/alice/album 2026/a.jpg",
        "users/alice/album 2026/b.jpg",
        "users/alice/album 2026/sub/c.jpg",
    ]
    for name, body in files.items():
        assert portal.stored(f"users/alice/album 2026/{name}") == body


def test_it_keeps_every_source_whose_copy_failed(portal: Portal, page: Any) -> None:
    """Half way: COS refuses to read one of the files (a deny in her policy), so that copy fails; the others move,
    and the refused one stays where it was, named in the result."""
    statements = preset_statements("read-write own prefix", bucket=portal.bucket, region=REGION)
    statements.append(
        {
            "effect": "deny",
            "action": ["name/cos:GetObject"],
            "resource": [f"qcs::cos:{REGION}:uid/${{appid}}:{portal.bucket}/users/alice/mixed/locked.txt"],
        }
    )
    make_user("alice", policy=make_policy(portal.account, name="alice, one file locked", statements=statements))
    bodies = {
        name: put(portal, f"users/alice/mixed/{name}", os.urandom(200)) for name in ["a.txt", "locked.txt", "z.txt"]
    }
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    row_menu(page, "tr[data-prefix='users/alice/mixed/']").get_by_role("button", name="Move…").click()
    fm_answer(page, "users/alice/elsewhere", "Move")
    page.wait_for_function(FM_DONE)
    status = page.get_by_test_id("fm-status")
    assert "Moved 2 of 3. Nothing was lost" in status.inner_text()
    kept = status.locator("li[data-key='users/alice/mixed/locked.txt']")
    assert kept.get_attribute("data-state") == "kept"
    assert "not copied" in kept.inner_text()
    assert portal.stored("users/alice/mixed/locked.txt") == bodies["locked.txt"]
    assert not exists(portal, "users/alice/elsewhere/mixed/locked.txt")
    for name in ("a.txt", "z.txt"):
        assert portal.stored(f"users/alice/elsewhere/mixed/{name}") == bodies[name]
        assert not exists(portal, f"users/alice/mixed/{name}")


def test_it_offers_no_rename_to_a_reader_and_cos_refuses_the_copy(portal: Portal, page: Any) -> None:
    body = put(portal, "users/frank/a.txt", b"frank's file")
    put(portal, "users/frank/docs/b.txt", b"b")
    portal.user("frank", preset="read own prefix")
    login(page, portal, "frank")
    page.goto(objects_url(portal, prefix="users/frank/"))
    for row in ("tr[data-key='users/frank/a.txt']", "tr[data-prefix='users/frank/docs/']"):
        menu = row_menu(page, row)
        assert menu.get_by_role("button", name="Rename…").count() == 0
        assert menu.get_by_role("button", name="Move…").count() == 0
        page.keyboard.press("Escape")
    source = f"{portal.bucket}.cos.{REGION}.myqcloud.com/users/frank/a.txt"
    copied = sdk_call(page, "putObjectCopy", Key="users/frank/b.txt", CopySource=source)
    assert (copied["ok"], copied["statusCode"], copied["code"]) == (False, 403, "AccessDenied")
    assert not exists(portal, "users/frank/b.txt")
    assert portal.stored("users/frank/a.txt") == body
