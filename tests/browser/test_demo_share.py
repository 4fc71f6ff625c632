"""Share links in Chromium: made on the preview page, copied with the button, fetched byte for byte by a browser
that never signed in; longer presets than the user's credentials allow are disabled and, if forced, refused by the
portal; and once the link's time is up localcloud refuses it."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from demo import cos
from tests.browser.pages_common import preview_url
from tests.demo.live import ROOT, Portal, fetch_as_stranger, login, portal_fixture, screenshot
from tests.factories import REGION
from tests.net import loopback_get

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

KEY = "users/alice/report 2026.bin"


def test_it_shares_a_link_anyone_can_fetch_until_it_expires(portal: Portal, browser: Any, artifacts_dir: Path) -> None:
    portal.user("alice")  # credentials for 30 minutes
    body = secrets.token_bytes(300_000)
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=KEY, body=body)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        login(page, portal, "alice")
        page.goto(preview_url(portal.url, portal.bucket, KEY))
        for seconds in ("3600", "86400", "604800"):
            assert page.locator(f"input[name=expires][value='{seconds}']").is_disabled()
        assert "Your temporary credentials expire at" in page.get_by_test_id("share-why").inner_text()
        assert page.locator("input[name=expires][value='300']").is_checked()

        page.get_by_test_id("share-create").click()
        url = page.get_by_test_id("share-url").input_value()
        note = page.get_by_test_id("share-expires")
        expect(note).to_contain_text("Stops working at")
        expect(note).to_contain_text("(in 5 minutes)")  # the page's script, counting down in the browser
        page.get_by_role("button", name="Copy").click()
        assert page.evaluate("() => navigator.clipboard.readText()") == url
        screenshot(page, artifacts_dir, "share-link")
    finally:
        context.close()

    filename, fetched = fetch_as_stranger(browser, url)  # no cookies, no session
    assert fetched == body
    assert filename == "report 2026.bin"

    # localcloud runs in this process: moving its clock past the link's end is what waiting would do.
    with time_machine.travel(time.time() + 301):
        expired = loopback_get(url)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "expired" in expired.text.lower()


def test_it_refuses_a_forced_preset_beyond_the_cap(portal: Portal, page: Any) -> None:
    portal.user("alice")
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=KEY, body=b"x")
    login(page, portal, "alice")
    page.goto(preview_url(portal.url, portal.bucket, KEY))
    # What a person could do with the browser's developer tools: enable a disabled choice and send it.
    day = page.locator("input[name=expires][value='86400']")
    day.evaluate("input => { input.disabled = false; input.checked = true; }")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_test_id("share-create").click()
    assert sent.value.status == 400
    assert (
        "A link for 1 day cannot be made: Your temporary credentials expire at"
        in page.get_by_test_id("share-error").inner_text()
    )
    assert page.get_by_test_id("share-url").count() == 0
