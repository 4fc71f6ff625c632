"""The demo works under its Content-Security-Policy: every page, and a real upload from the objects page, in Chromium,
with not one CSP violation in the console or as a `securitypolicyviolation` event."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import ROOT, Portal, csp_violations, login, objects_url, portal_fixture, watch_csp
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_shows_every_page_and_uploads_without_a_csp_violation(portal: Portal, page: Any, tmp_path: Path) -> None:
    from demo import cos

    portal.user("alice")
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key="users/alice/existing.txt", body=b"hello")
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    watch_csp(page)

    visited = []

    def visit(url: str) -> None:
        response = page.goto(url)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        visited.append((url, csp_violations(page)))

    visit(f"{portal.url}/accounts/login/")
    login(page, portal, "alice")
    visit(f"{portal.url}/")
    visit(f"{portal.url}/regions/{REGION}/")
    visit(f"{portal.url}/access/")
    visit(f"{portal.url}/buckets/{REGION}/{portal.bucket}/delete/?key=users/alice/existing.txt")
    visit(f"{portal.url}/no/such/page/")
    visit(objects_url(portal))
    # A folder of this test's own: the bucket is shared with the worker's other browser tests, and a listing page
    # shows 50 keys, so a file among alice's others might land on a later page.
    folder = f"users/alice/csp-{secrets.token_hex(4)}/"
    visit(objects_url(portal, prefix=folder))

    # The upload panel: cos-js-sdk-v5 from 'self', /sts over fetch, PUT to localcloud (connect-src).
    small = tmp_path / "under-csp.txt"
    small.write_bytes(b"uploaded under the content security policy\n" * 100)
    page.set_input_files("#upload-input", str(small))
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    page.locator(f"#object-list tr[data-key='{folder}under-csp.txt']").wait_for(timeout=30_000)
    visited.append(("upload", csp_violations(page)))
    assert portal.stored(f"{folder}under-csp.txt") == small.read_bytes()

    assert [(url, found) for url, found in visited if found] == []
    blocked = [line for line in console if "Content Security Policy" in line or "Content-Security-Policy" in line]
    assert blocked == [], blocked
    assert not [line for line in console if line.startswith("pageerror")], console


def test_it_would_notice_a_violation(portal: Portal, page: Any) -> None:
    """The watch above is not blind: an inline script (what the policy forbids) is blocked and reported."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    watch_csp(page)
    page.goto(f"{portal.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("() => (window.__csp || []).length > 0", timeout=5_000)
    assert page.evaluate("() => window.ran") is None
    assert any(v.startswith("script-src") for v in csp_violations(page)), csp_violations(page)
    assert any("Content Security Policy" in line for line in console), console
