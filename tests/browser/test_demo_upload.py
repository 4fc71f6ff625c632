"""The upload panel in Chromium (issue 4, "What it must show" 3-5): a 12 MiB file goes straight from the browser to
localcloud with credentials from /sts; Pause stops the bytes, Resume completes it, Cancel leaves no multipart upload,
and after a reload picking the same file resumes instead of starting over.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import MiB, Portal, login, md5, objects_url, portal, screenshot, throttle_uploads  # noqa: F401

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
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    assert page.get_by_test_id("upload-prefix").inner_text() == "users/alice/"
    throttle_uploads(page, SLOW)
    before = portal.count("cos:bytes_in")

    page.set_input_files("#upload-input", str(big_file))
    row = item(page, "big.bin")
    wait_loaded(page, "big.bin", 2 * MiB)
    percent = row.locator(".upload-percent").inner_text()
    assert percent.endswith("%") and 0 < int(percent[:-1]) < 100
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
    link.wait_for()
    assert md5(portal.stored("users/alice/big.bin")) == md5(big_file.read_bytes())
    downloaded = page.request.get(link.get_attribute("href"))
    assert downloaded.status == 200
    assert md5(downloaded.body()) == md5(big_file.read_bytes())
    assert portal.uploads_in_progress("users/alice/big.bin") == []
    # Resumed, not restarted: at most the parts in flight at the pause were sent twice.
    assert portal.count("cos:bytes_in") - before <= SIZE + 3 * MiB
    screenshot(page, artifacts_dir, "objects")
