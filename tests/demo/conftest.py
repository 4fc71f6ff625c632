"""Fixtures for the demo pages: the localcloud account, the demo bucket, alice and bob signed in, root keys."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client

from demo import cos
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from signer.models import AccessPolicy, CloudAccount
from tests.factories import DEMO_BUCKET, make_account, make_bucket, make_policy, make_user

ROOT = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


@pytest.fixture
def root() -> cos.Keys:
    """localcloud's root keys: to arrange buckets and objects, and to check what is at the storage."""
    return ROOT


@pytest.fixture
def stats(localcloud: RunningServer) -> Any:
    def snapshot() -> dict[str, int]:
        response = requests.get(f"{localcloud.url}/_localcloud/stats", timeout=5)
        response.raise_for_status()
        counts: dict[str, int] = response.json()["counts"]
        return counts

    return snapshot


@pytest.fixture
def account(cloud: RunningServer, db: None) -> CloudAccount:
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


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client
