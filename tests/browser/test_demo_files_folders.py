"""Folders on the objects page: a new folder is a zero-byte "name/" object (names checked first), a folder is
deleted with everything under it through DeleteMultipleObjects in batches of at most 1,000 after a confirmation
that names the count, a picked folder uploads with its structure; and for a user whose policy refuses it, the
controls are not there and COS refuses the same calls made from the page's console.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import (
    Portal,
    exists,
    fm_dialog,
    keys_under,
    login,
    objects_url,
    portal_fixture,
    put,
    row_menu,
    screenshot,
    sdk_call,
)

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_makes_a_folder_marker_and_says_why_a_name_is_refused(
    portal: Portal, page: Any, artifacts_dir: Path
) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    page.get_by_test_id("new-folder").click()
    dialog = fm_dialog(page)
    field = dialog.get_by_label("Folder name")
    for bad, reason in [("a/b", "cannot contain “/”"), ("..", "are not names"), ("", "Give it a name")]:
        field.fill(bad)
        dialog.get_by_role("button", name="Create folder").click()
        assert reason in dialog.locator(".fm-dialog-error").inner_text()
        assert dialog.is_visible()
    field.fill("trip 2026")
    screenshot(page, artifacts_dir, "files-new-folder")
    dialog.get_by_role("button", name="Create folder").click()
    page.locator("tr[data-prefix='users/alice/trip 2026/']").wait_for()
    assert "Folder trip 2026 created." in page.get_by_test_id("fm-status").inner_text()
    assert portal.stored("users/alice/trip 2026/") == b""
    # Opening it shows an empty folder (the marker is the folder itself, not a file in it).
    page.locator("a[data-folder='trip 2026']").click()
    assert page.get_by_test_id("empty-objects").is_visible()


def test_it_deletes_a_folder_and_everything_under_it_in_batches(portal: Portal, page: Any) -> None:
    keys = [f"users/alice/big/{i:04d}.txt" for i in range(1200)] + ["users/alice/big/sub/deep.txt"]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: put(portal, k), keys))
    put(portal, "users/alice/big/", b"")  # the folder's own marker
    put(portal, "users/alice/big-sibling.txt", b"stays")  # a name that starts like the folder, not in it
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    batches = portal.count("cos:DeleteMultipleObjects")

    row_menu(page, "tr[data-prefix='users/alice/big/']").get_by_role("button", name="Delete folder…").click()
    dialog = fm_dialog(page)
    assert "1202 objects will be deleted" in dialog.inner_text()
    dialog.get_by_role("button", name="Delete 1202 objects").click()
    status = page.get_by_test_id("fm-status")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=fm-status]').dataset.state === 'done'", timeout=60_000
    )
    assert "Deleted 1202 objects." in status.inner_text()
    assert page.locator("#fm-status progress").evaluate("p => [p.value, p.max]") == [1202, 1202]
    assert portal.count("cos:DeleteMultipleObjects") - batches == 2  # 1,000 + 202
    assert keys_under(portal, "users/alice/big/") == []
    assert portal.stored("users/alice/big-sibling.txt") == b"stays"
    assert page.locator("tr[data-prefix='users/alice/big/']").count() == 0


def test_it_asks_before_deleting_and_keeps_everything_when_cancelled(portal: Portal, page: Any) -> None:
    put(portal, "users/alice/keep/a.txt")
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    row_menu(page, "tr[data-prefix='users/alice/keep/']").get_by_role("button", name="Delete folder…").click()
    dialog = fm_dialog(page)
    assert "1 object will be deleted" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert exists(portal, "users/alice/keep/a.txt")


def test_it_uploads_a_picked_folder_with_its_structure(portal: Portal, page: Any, tmp_path: Path) -> None:
    trip = tmp_path / "trip"
    files = {"day 1/beach.jpg": b"\xff\xd8 beach" * 100, "day 2/notes.txt": b"notes", "cover.png": b"\x89PNG cover"}
    for name, body in files.items():
        (trip / name).parent.mkdir(parents=True, exist_ok=True)
        (trip / name).write_bytes(body)
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    page.set_input_files("#upload-folder-input", str(trip))
    page.wait_for_function("() => document.querySelectorAll('.upload-item[data-state=done]').length === 3")
    for name, body in files.items():
        assert portal.stored(f"users/alice/trip/{name}") == body, name
    page.locator("a[data-folder='trip']").wait_for()  # the list refreshed itself


# A directory dropped on the page, as Chrome hands it to the drop handler: FileSystemEntry objects whose directory
# reader answers in batches until an empty one. Playwright cannot drop a real directory, so the entries are made
# here; what the page does with them (the keys, the uploads to COS) is real.
DROP = """
(files) => {
  const file = (name, text) => ({isFile: true, isDirectory: false, name,
    file: (ok) => ok(new File([text], name, {type: 'text/plain'}))});
  const dir = (name) => ({isFile: false, isDirectory: true, name, children: [],
    createReader() { let next = 0; const all = this.children;
      return {readEntries: (ok) => {
        const batch = all.slice(next, next + 2);
        next += 2;
        setTimeout(() => ok(batch));
      }};
    }});
  const top = dir('holiday');
  for (const [path, text] of files) {
    const parts = path.split('/');
    let here = top;
    for (const part of parts.slice(0, -1)) {
      let sub = here.children.find((c) => c.name === part);
      if (!sub) { sub = dir(part); here.children.push(sub); }
      here = sub;
    }
    here.children.push(file(parts[parts.length - 1], text));
  }
  const transfer = {items: [{webkitGetAsEntry: () => top}], files: []};
  const event = new Event('drop', {bubbles: true, cancelable: true});
  Object.defineProperty(event, 'dataTransfer', {value: transfer});
  document.getElementById('dropzone').dispatchEvent(event);
}
"""


def test_it_uploads_a_dropped_directory_with_its_structure(portal: Portal, page: Any) -> None:
    files = {f"day {d}/photo {i}.txt": f"day {d}, photo {i}" for d in (1, 2) for i in range(3)}
    files["readme.txt"] = "top level"
    files["day 2/deep/er/note.txt"] = "deep"
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal, prefix="users/alice/"))
    page.evaluate(DROP, list(files.items()))
    page.wait_for_function(f"() => document.querySelectorAll('.upload-item[data-state=done]').length === {len(files)}")
    for name, text in files.items():
        assert portal.stored(f"users/alice/holiday/{name}") == text.encode(), name
    assert len(keys_under(portal, "users/alice/holiday/")) == len(files)


def test_it_offers_no_folder_changes_to_a_reader_and_cos_refuses_them(portal: Portal, page: Any) -> None:
    put(portal, "users/frank/docs/a.txt", b"frank's")
    portal.user("frank", preset="read own prefix")
    login(page, portal, "frank")
    page.goto(objects_url(portal, prefix="users/frank/"))
    page.locator("tr[data-prefix='users/frank/docs/']").wait_for()
    assert page.get_by_test_id("new-folder").count() == 0
    assert page.get_by_test_id("choose-folder").count() == 0
    menu = row_menu(page, "tr[data-prefix='users/frank/docs/']")
    assert menu.get_by_role("button", name="Delete folder…").count() == 0
    menu.locator("input[data-select=folder]").check()  # to download it, which a reader may
    assert page.get_by_test_id("bulk-delete").count() == 0
    assert page.get_by_test_id("bulk-download").is_enabled()

    made = sdk_call(page, "putObject", Key="users/frank/new/", Body="")
    assert (made["ok"], made["statusCode"], made["code"]) == (False, 403, "AccessDenied")
    assert not exists(portal, "users/frank/new/")
    removed = sdk_call(page, "deleteMultipleObject", Objects=[{"Key": "users/frank/docs/a.txt"}])
    assert removed["ok"], removed
    assert [(e["Key"], e["Code"]) for e in removed["data"]["Error"]] == [("users/frank/docs/a.txt", "AccessDenied")]
    assert portal.stored("users/frank/docs/a.txt") == b"frank's"
