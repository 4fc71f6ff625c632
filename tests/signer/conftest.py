"""Fixtures for the signer: an isolated cache per test, the localcloud account, alice and bob, an HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.factories import make_account


@pytest.fixture
def account(cloud: RunningServer, transactional_db: None) -> CloudAccount:
    return make_account(cloud)


@dataclass
class Api:
    """The portal over a real socket (live_server), as a mobile app or a script calls it."""

    base: str

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)


@pytest.fixture
def api(live_server: Any) -> Api:
    return Api(live_server.url)
