"""Fixtures for the demo pages: the localcloud account, the demo bucket, alice and bob signed in, root keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from demo import cos
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.factories import make_account

ROOT = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


@pytest.fixture
def root() -> cos.Keys:
    """localcloud's root keys: to arrange buckets and objects, and to check what is at the storage."""
    return ROOT


@pytest.fixture
def account(cloud: RunningServer, db: None) -> CloudAccount:
    return make_account(cloud)


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
