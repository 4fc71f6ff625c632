"""The Django admin over a real socket, as a person with a browser uses it (session cookie + CSRF token)."""

from __future__ import annotations

import re
from typing import Any

import requests

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class AdminClient:
    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.session = requests.Session()
        page = self.get("/admin/login/")
        response = self.session.post(
            f"{base}/admin/login/?next=/admin/",
            data={"username": username, "password": password, "next": "/admin/", **self._csrf(page.text)},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert "/admin/login/" not in response.url, "admin login failed"

    def _csrf(self, html: str) -> dict[str, str]:
        match = CSRF_INPUT.search(html)
        assert match, "no CSRF token on the page"
        return {"csrfmiddlewaretoken": match.group(1)}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(f"{self.base}{path}", timeout=30, **kwargs)

    def submit(self, path: str, data: dict[str, Any]) -> requests.Response:
        """GET the form page (for its CSRF token), then POST `data` to it; follows the redirect."""
        page = self.get(path)
        assert page.status_code == 200, page.text
        return self.session.post(f"{self.base}{path}", data={**data, **self._csrf(page.text)}, timeout=60)
