"""The upload panel in Chromium (issue 4, "What it must show" 3-5): a 12 MiB file goes straight from the browser to
localcloud with credentials from /sts; Pause stops the bytes, Resume completes it, Cancel leaves no multipart upload,
and after a reload picking the same file resumes instead of starting over.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from signer import audit
from signer.models import IssuedCredential
from tests.demo.live import (
    MiB,
    Portal,
    csp_violations,
    download,
    login,
    md5,
    objects_url,
    portal_fixture,
    row_menu,
    screenshot,
    throttle_uploads,
    watch_csp,
)

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

SIZE = 12 * MiB
SLOW = 2 * MiB  # bytes per second: 12 MiB take about 6 s, long enough to act in the middle


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def item(page: Any, name: str) -> Any:
    return page.locator(".upload-item", has_text=name).first


def loaded(page: Any, name: str) -> int:
    return int(item(page, name).get_attribute("data-loaded") or 0)


def wait_loaded(page: Any, name: str, at_least: int, timeout: int = 30_000) -> None:
    page.wait_for_function(
        """([name, n]) => [...document.querySelectorAll('.upload-item')].some(
             el => el.querySelector('.upload-name').textContent.startsWith(name)
                   && Number(el.dataset.loaded || 0) >= n)""",
        arg=[name, at_least],
        timeout=timeout,
    )


def test_it_uploads_pauses_resumes_and_downloads_the_same_bytes(
    portal: Portal, page: Any, big_file: Path, artifacts_dir: Path
) -> None:
    portal.user("alice")
    watch_csp(page)
    login(page, portal, "alice")
    response = page.goto(objects_url(portal))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.get_by_test_id("upload-prefix").inner_text() == "users/alice/"
    throttle_uploads(page, SLOW)
    before = portal.count("cos:bytes_in")

    page.set_input_files("#upload-input", str(big_file))
    row = item(page, "big.bin")
    wait_loaded(page, "big.bin", 2 * MiB)
    percent = row.locator(".upload-percent").inner_text()
    assert percent.endswith("%")
    assert 0 < int(percent[:-1]) < 100
    assert "/s" in row.locator(".upload-speed").inner_text()
    assert "left" in row.locator(".upload-eta").inner_text()
    screenshot(page, artifacts_dir, "upload-in-progress")

    row.get_by_role("button", name="Pause").click()
    paused_at = portal.settled("cos:bytes_in")
    assert row.get_attribute("data-state") == "paused"
    assert paused_at - before < SIZE
    assert portal.settled("cos:bytes_in", quiet=1.5) == paused_at  # the bytes really stopped
    assert [u.key for u in portal.uploads_in_progress("users/alice/big.bin")] == ["users/alice/big.bin"]
    screenshot(page, artifacts_dir, "upload-paused")

    row.get_by_role("button", name="Resume").click()
    page.wait_for_selector(".upload-item[data-state=done]", timeout=60_000)
    # The list refreshed by itself and shows the new file with a download link.
    link = page.locator("#object-list tr[data-key='users/alice/big.bin'] a.download")
    row_menu(page, "#object-list tr[data-key='users/alice/big.bin']")
    link.wait_for()
    assert md5(portal.stored("users/alice/big.bin")) == md5(big_file.read_bytes())
    assert md5(download(page, link)) == md5(big_file.read_bytes())  # the portal redirects to the bucket's host
    assert portal.uploads_in_progress("users/alice/big.bin") == []
    # Resumed, not restarted: at most the parts in flight at the pause were sent twice.
    assert portal.count("cos:bytes_in") - before <= SIZE + 3 * MiB
    assert csp_violations(page) == []  # the page works under the portal's Content-Security-Policy
    # The page asked /sts for the user's own policy (their writable prefix), once: the SDK reused that credential
    # for every part, instead of one narrowed credential per request.
    audit.drain()
    issued = IssuedCredential.objects.filter(username="alice")
    assert issued.values("tmp_secret_id").distinct().count() == 1
    assert not issued.filter(scoped=True).exists()
    screenshot(page, artifacts_dir, "objects")


def test_it_leaves_no_multipart_upload_behind_after_cancel(portal: Portal, page: Any, tmp_path: Path) -> None:
    path = tmp_path / "cancelled.bin"
    path.write_bytes(os.urandom(SIZE))
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    throttle_uploads(page, SLOW)

    page.set_input_files("#upload-input", str(path))
    wait_loaded(page, "cancelled.bin", 2 * MiB)
    assert [u.key for u in portal.uploads_in_progress("users/alice/cancelled.bin")] == ["users/alice/cancelled.bin"]

    row = item(page, "cancelled.bin")
    row.get_by_role("button", name="Cancel").click()
    page.wait_for_selector(".upload-item[data-state=canceled]", timeout=15_000)
    portal.settled("cos:bytes_in")

    assert portal.uploads_in_progress("users/alice/cancelled.bin") == []
    assert not row.get_by_role("button", name="Resume").is_visible()
    assert row.locator(".upload-speed").inner_text() == ""  # a cancelled row is not moving
    assert row.locator(".upload-eta").inner_text() == ""
    page.reload()
    assert page.locator("#object-list tr[data-key='users/alice/cancelled.bin']").count() == 0
    assert page.locator(".upload-item.pending").count() == 0  # nothing left to resume either


@pytest.mark.parametrize("sdk_cache", ["kept", "cleared"])
def test_it_resumes_after_a_reload_when_the_same_file_is_picked(
    portal: Portal, page: Any, tmp_path: Path, sdk_cache: str
) -> None:
    """With its localStorage cache the SDK knows the UploadId at once; without it (another browser, cleared
    storage) it finds the upload with ListMultipartUploads and checks each part's MD5 against ListParts."""
    name = f"resumed-{sdk_cache}.bin"
    path = tmp_path / name
    content = os.urandom(SIZE)
    path.write_bytes(content)
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    throttle_uploads(page, SLOW)
    parts_before = portal.count("cos:UploadPart")

    page.set_input_files("#upload-input", str(path))
    wait_loaded(page, name, 5 * MiB)
    page.reload()
    portal.settled("cos:bytes_in")
    parts_first_visit = portal.count("cos:UploadPart") - parts_before
    assert 0 < parts_first_visit < SIZE // MiB
    assert [u.key for u in portal.uploads_in_progress(f"users/alice/{name}")] == [f"users/alice/{name}"]
    # After the reload the page remembers what was interrupted and says what to do.
    pending = page.locator(".upload-item.pending", has_text=name)
    assert f"pick {name} again" in pending.inner_text()
    if sdk_cache == "cleared":
        assert page.evaluate("() => localStorage.getItem('cos_sdk_upload_cache')")
        page.evaluate("() => localStorage.removeItem('cos_sdk_upload_cache')")
        page.reload()

    page.set_input_files("#upload-input", str(path))
    page.wait_for_selector(".upload-item[data-state=done]", timeout=60_000)

    parts_second_visit = portal.count("cos:UploadPart") - parts_before - parts_first_visit
    assert parts_second_visit < SIZE // MiB  # resumed: fewer than the 12 parts a new upload sends
    assert parts_second_visit + parts_first_visit >= SIZE // MiB
    assert md5(portal.stored(f"users/alice/{name}")) == md5(content)
    assert portal.uploads_in_progress(f"users/alice/{name}") == []
    assert page.locator(".upload-item.pending").count() == 0
    done = page.locator(".upload-item[data-state=done]")
    assert done.get_attribute("data-resumed") == "true"
    assert "resumed" in done.locator(".upload-state").inner_text()


def test_it_uploads_several_files_at_once(portal: Portal, page: Any, tmp_path: Path) -> None:
    files = []
    for index in range(3):
        path = tmp_path / f"several-{index}.bin"
        path.write_bytes(os.urandom(MiB // 2 + index * MiB))  # a single PUT and two multipart uploads
        files.append(path)
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))

    page.set_input_files("#upload-input", [str(p) for p in files])
    page.wait_for_function(
        "() => document.querySelectorAll('.upload-item[data-state=done]').length === 3", timeout=60_000
    )

    for path in files:
        assert md5(portal.stored(f"users/alice/{path.name}")) == md5(path.read_bytes())
        page.locator(f"#object-list tr[data-key='users/alice/{path.name}']").wait_for()


def test_it_uploads_a_file_dropped_on_the_panel_whatever_its_name(portal: Portal, page: Any) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    transfer = page.evaluate_handle(
        """() => {
             const transfer = new DataTransfer();
             transfer.items.add(new File(['dropped bytes'], 'dropped résumé #1+2.txt', {type: 'text/plain'}));
             return transfer;
           }"""
    )
    page.dispatch_event("#dropzone", "dragover", {"dataTransfer": transfer})
    assert "dragover" in (page.get_attribute("#dropzone", "class") or "")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    assert portal.stored("users/alice/dropped résumé #1+2.txt") == b"dropped bytes"
    page.locator("#object-list tr[data-key='users/alice/dropped résumé #1+2.txt']").wait_for()
