"""Fixtures for identities: a real OpenID Connect provider (oidc-provider on loopback) registered in the portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.server import RunningServer
from signer.models import AccessPolicy, CloudAccount, IdentityProvider
from tests.factories import make_account
from tests.identity.oidc import OidcProvider, start
from tests.signer.conftest import Api


@pytest.fixture(scope="session")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = start(tmp_path_factory.mktemp("oidc"))
    provider.add_account("alice", email="alice@example.com", groups=["staff"])
    provider.add_account("bob", email="bob@example.com", groups=["admins"])
    yield provider
    provider.stop()


@pytest.fixture
def account(cloud: RunningServer, transactional_db: None) -> CloudAccount:
    return make_account(cloud)


@pytest.fixture
def api(live_server: Any) -> Api:
    return Api(live_server.url)


@pytest.fixture
def provider(oidc: OidcProvider, policy: AccessPolicy) -> IdentityProvider:
    """The test issuer as the admin registers it: its app's client IDs, the "read-write own prefix" policy."""
    registered = IdentityProvider(
        name="oidc",
        issuer=oidc.issuer,
        audiences=["mobile-rs", "mobile-es"],
        policy=policy,
        algorithms=["RS256", "ES256"],
    )
    registered.full_clean()
    registered.save()
    return registered


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
