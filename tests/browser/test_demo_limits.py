"""Upload limits on the upload page (issue 7): with a policy for image/* up to 5 MiB, the page refuses a 6 MiB
image and a text file before sending a byte, naming the limit, and a 4 MiB image uploads (multipart) and is stored.
"My access" shows the limits in plain words.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import MiB, Portal, login, md5, objects_url, portal_fixture, screenshot

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_refuses_files_over_the_limit_or_of_the_wrong_type_before_sending(
    portal: Portal, page: Any, artifacts_dir: Path
) -> None:
    portal.user("alice", max_object_size=5 * MiB, allowed_content_types="image/*")
    login(page, portal, "alice")
    page.goto(f"{portal.url}/access/")
    limits = page.get_by_test_id("policy-limits").inner_text()
    assert "Uploads of at most 5 MiB" in limits
    assert "Only files of type image/*" in limits

    page.goto(objects_url(portal))
    assert "At most 5 MiB per file" in page.get_by_test_id("upload-limits").inner_text()
    bytes_before = portal.count("cos:bytes_in")
    sts_calls = page.evaluate("() => performance.getEntriesByType('resource').length")

    page.set_input_files("#upload-input", {"name": "huge.png", "mimeType": "image/png", "buffer": os.urandom(6 * MiB)})
    huge = page.locator(".upload-item", has_text="huge.png")
    assert huge.get_attribute("data-state") == "refused"
    assert "at most 5 MiB" in huge.locator(".upload-error").inner_text()
    page.set_input_files("#upload-input", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"plain text"})
    notes = page.locator(".upload-item", has_text="notes.txt")
    assert notes.get_attribute("data-state") == "refused"
    assert "only image/*" in notes.locator(".upload-error").inner_text()
    screenshot(page, artifacts_dir, "upload-refused")
    # Nothing went anywhere: no request from the page, no byte at COS.
    assert page.evaluate("() => performance.getEntriesByType('resource').length") == sts_calls
    assert portal.count("cos:bytes_in") == bytes_before

    content = os.urandom(4 * MiB)
    page.set_input_files("#upload-input", {"name": "ok.png", "mimeType": "image/png", "buffer": content})
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    assert md5(portal.stored("users/alice/ok.png")) == md5(content)
