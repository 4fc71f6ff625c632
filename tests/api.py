"""The portal over a real socket (live_server), as a mobile app or a script calls it: a token in the header, no
cookies kept between calls (each call stands alone, as an app's does), no proxy from the environment."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: never through a proxy named in the environment
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.base}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def close(self) -> None:
        self.session.close()
