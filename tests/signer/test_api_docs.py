"""/api/docs/: Swagger UI served from the portal itself (no CDN), working under the 'self'-only CSP."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM (database flush) must be allowed beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
def test_it_shows_the_api_docs_under_the_content_security_policy(
    page: Any, live_server: Any, transactional_db: None
) -> None:
    refused: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Refused to" in message.text else None)
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None
    )
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("text=/sign", timeout=15000)
    for path in ("/sts", "/api/auth/login", "/api/auth/logout"):
        assert page.locator(f"[data-path='{path}']").count() >= 1
    assert [text for text in refused if "script" in text] == []
    assert outside == []
