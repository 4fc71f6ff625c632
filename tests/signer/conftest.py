"""Fixtures for the signer: an isolated cache per test, the localcloud account, alice and bob, an HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client

from localcloud.server import RunningServer
from signer.models import AccessPolicy, CloudAccount
from tests.factories import DEMO_BUCKET, REGION, make_account, make_bucket, make_policy, make_token, make_user


@pytest.fixture
def stats(localcloud: RunningServer) -> Any:
    def snapshot() -> dict[str, int]:
        response = requests.get(f"{localcloud.url}/_localcloud/stats", timeout=5)
        response.raise_for_status()
        counts: dict[str, int] = response.json()["counts"]
        return counts

    return snapshot


@pytest.fixture
def account(cloud: RunningServer, transactional_db: None) -> CloudAccount:
    return make_account(cloud)


@pytest.fixture
def bucket(cloud: RunningServer) -> str:
    return make_bucket(cloud, DEMO_BUCKET)


@pytest.fixture
def policy(account: CloudAccount, bucket: str) -> AccessPolicy:
    return make_policy(account, name="read-write own prefix", bucket=bucket)


@pytest.fixture
def alice(policy: AccessPolicy) -> Any:
    return make_user("alice", policy=policy)


@pytest.fixture
def bob(policy: AccessPolicy) -> Any:
    return make_user("bob", policy=policy)


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


@pytest.fixture
def alice_token(alice: Any) -> str:
    return make_token(alice)


@pytest.fixture
def bob_token(bob: Any) -> str:
    return make_token(bob)


def cos_client(server: RunningServer, secret_id: str, secret_key: str, token: str | None) -> CosS3Client:
    """cos-python-sdk-v5 pointed at localcloud, as an app holding temporary credentials would use it."""
    config = CosConfig(
        Region=REGION,
        SecretId=secret_id,
        SecretKey=secret_key,
        Token=token,
        Scheme="http",
        IP=server.host,
        Port=server.port,
        ServiceDomain=f"{server.host}:{server.port}",
    )
    return CosS3Client(config, retry=1)
