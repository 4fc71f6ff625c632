"""The admin registers identity providers (refusing unsafe ones) and lists the identities they bring."""

from __future__ import annotations

import json
from typing import Any

from signer.models import AccessPolicy, Identity, IdentityProvider
from tests.factories import PASSWORD, make_user
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api


def _form(policy: AccessPolicy, **changes: Any) -> dict[str, Any]:
    fields = {
        "name": "app",
        "issuer": "https://login.example.com",
        "audiences": json.dumps(["ios"]),
        "claim": "sub",
        "policy": str(policy.pk),
        "policy_claim": "",
        "policy_mapping": "{}",
        "algorithms": json.dumps(["RS256"]),
        "is_active": "on",
    }
    return {**fields, **changes}


def test_it_adds_a_provider_in_the_admin_and_refuses_an_hmac_algorithm(live_server: Any, policy: AccessPolicy) -> None:
    make_user("root", is_superuser=True)
    admin = AdminClient(live_server.url, "root", PASSWORD)
    refused = admin.submit("/admin/signer/identityprovider/add/", _form(policy, algorithms=json.dumps(["HS256"])))
    assert "Not allowed: HS256" in refused.text
    assert not IdentityProvider.objects.exists()

    added = admin.submit("/admin/signer/identityprovider/add/", _form(policy))
    assert added.status_code == 200
    assert IdentityProvider.objects.get().audiences == ["ios"]


def test_it_lists_identities_without_an_add_button(
    live_server: Any, api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    assert api.get("/sign", headers=bearer(oidc.id_token("alice"))).status_code == 200
    make_user("root", is_superuser=True)
    admin = AdminClient(live_server.url, "root", PASSWORD)
    page = admin.get("/admin/signer/identity/")
    assert page.status_code == 200
    assert "oidc.alice" in page.text
    assert "/admin/signer/identity/add/" not in page.text
    assert admin.get(f"/admin/signer/identity/{Identity.objects.get().pk}/change/").status_code == 200
