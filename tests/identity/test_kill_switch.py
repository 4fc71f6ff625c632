"""The kill switch: revoking, disabling (a user, an identity, a provider) or a password change refuses the person at
/sign and /sts from the very next request, and nothing cached before is handed out again."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from signer import audit, services
from signer.models import AccessPolicy, AccessRevocation, CloudAccount, Identity, IdentityProvider, IssuedCredential
from tests.factories import PASSWORD, make_token, make_user
from tests.identity import forge
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api


@pytest.fixture
def admin(api: Api, transactional_db: None) -> AdminClient:
    make_user("admin", is_superuser=True)
    return AdminClient(api.base, "admin", PASSWORD)


def tmp_id(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    secret_id: str = response.json()["credentials"]["tmpSecretId"]
    return secret_id


def calls(stats: Any) -> int:
    count: int = stats().get("sts:GetFederationToken", 0)
    return count


def test_it_refuses_alice_at_once_after_revoke_access_now_and_never_serves_her_cached_credential(
    api: Api, admin: AdminClient, alice: Any, alice_token: str, stats: Any
) -> None:
    first = tmp_id(api.get("/sts", token=alice_token))
    assert tmp_id(api.get("/sts", token=alice_token)) == first  # cached

    page = admin.get(f"/admin/auth/user/{alice.pk}/change/")  # the change page, for its CSRF token
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    revoked = admin.session.post(
        f"{admin.base}/admin/auth/user/{alice.pk}/revoke/", data={"csrfmiddlewaretoken": token}, timeout=30
    )
    assert revoked.status_code == 200
    assert re.search(r"Access of alice revoked: 1 API token and \d+ sessions? ended", revoked.text)
    assert "STS has no revocation" in revoked.text

    refused = api.get("/sts", token=alice_token)
    assert refused.status_code == 401
    assert refused.json()["codeDesc"] == "AuthenticationFailed"

    before = calls(stats)
    again = tmp_id(api.get("/sts", token=make_token(alice)))  # signed in again: new credentials, not the cached
    assert again != first
    assert calls(stats) == before + 1

    revocation = AccessRevocation.objects.get()
    assert (revocation.username, revocation.reason, revocation.by, revocation.tokens_ended) == (
        "alice",
        "revoked in the admin",
        "admin",
        1,
    )
    audit.drain()
    issued = IssuedCredential.objects.filter(tmp_secret_id=first).first()
    assert issued is not None
    assert revocation.issued_valid_until == issued.expired_time


def test_it_refuses_a_disabled_user_and_ends_their_tokens_for_good(
    api: Api, alice: Any, alice_token: str, bob_token: str
) -> None:
    tmp_id(api.get("/sts", token=alice_token))
    alice.is_active = False
    alice.save()
    assert api.get("/sts", token=alice_token).status_code == 401
    alice.is_active = True
    alice.save()
    assert api.get("/sts", token=alice_token).status_code == 401  # ended, not only suspended
    assert api.get("/sts", token=bob_token).status_code == 200  # nobody else is touched
    assert AccessRevocation.objects.get().reason == "user disabled"


def test_it_ends_the_api_tokens_when_the_password_changes(api: Api, alice: Any, alice_token: str) -> None:
    tmp_id(api.get("/sts", token=alice_token))
    alice.set_password("a-new-and-long-passphrase")
    alice.save()
    assert api.get("/sts", token=alice_token).status_code == 401
    assert AccessRevocation.objects.get().reason == "password changed"


def test_it_ends_the_sessions_of_a_revoked_user(api: Api, alice: Any, live_server: Any) -> None:
    browser = requests.Session()
    login = browser.get(f"{live_server.url}/accounts/login/", timeout=10)
    csrf = login.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    signed_in = browser.post(
        f"{live_server.url}/accounts/login/",
        data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    assert signed_in.status_code == 200
    assert tmp_id(browser.get(f"{live_server.url}/sts", timeout=10))

    from signer.revocation import access_revoke

    revocation = access_revoke(user=alice, reason="revoked in the admin")
    assert revocation.sessions_ended == 1
    assert browser.get(f"{live_server.url}/sts", timeout=10).status_code in (401, 403)
    assert "/accounts/login/" in browser.get(f"{live_server.url}/access/", timeout=10).url


def test_it_refuses_a_disabled_identity_at_once(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = oidc.id_token("alice")
    tmp_id(api.get("/sts", headers=bearer(token)))
    identity = Identity.objects.get()
    identity.is_active = False
    identity.save()
    refused = api.get("/sts", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["message"] == "This identity is disabled."
    assert AccessRevocation.objects.get().reason == "identity disabled"


def test_it_refuses_the_identities_of_a_disabled_provider(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    token = oidc.id_token("alice")
    tmp_id(api.get("/sts", headers=bearer(token)))
    provider.is_active = False
    provider.save()
    assert api.get("/sts", headers=bearer(token)).status_code == 401
    assert AccessRevocation.objects.get().reason == "identity provider oidc disabled"


def test_it_refuses_id_tokens_issued_before_the_revocation_and_accepts_later_ones(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, stats: Any
) -> None:
    from signer.revocation import access_revoke

    token = oidc.id_token("alice")
    first = tmp_id(api.get("/sts", headers=bearer(token)))
    access_revoke(user=Identity.objects.get().user, reason="revoked in the admin")

    refused = api.get("/sts", headers=bearer(token))
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["message"]

    later = forge.sign(oidc, forge.claims(oidc, iat=int(time.time()) + 2))
    before = calls(stats)
    assert tmp_id(api.get("/sts", headers=bearer(later))) != first
    assert calls(stats) == before + 1


def test_it_stops_serving_what_was_cached_under_an_accounts_old_configuration(
    api: Api, alice_token: str, account: CloudAccount, stats: Any
) -> None:
    first = tmp_id(api.get("/sts", token=alice_token))
    services.secrets_rotate()  # re-encrypted, the same key: still the same configuration
    assert tmp_id(api.get("/sts", token=alice_token)) == first

    account.refresh_from_db()
    services.account_set_secret(account=account, secret_key=account.secret_key)  # same key written again
    assert tmp_id(api.get("/sts", token=alice_token)) == first

    account.is_active = False
    account.save()
    assert api.get("/sts", token=alice_token).json()["codeDesc"] == "AccountInactive"
    account.is_active = True
    account.save()
    before = calls(stats)
    assert tmp_id(api.get("/sts", token=alice_token)) != first
    assert calls(stats) == before + 1


def test_it_stops_serving_what_was_cached_under_a_policys_old_statements(
    api: Api, alice_token: str, policy: AccessPolicy, stats: Any
) -> None:
    first = tmp_id(api.get("/sts", token=alice_token))
    policy.statements = policy.statements[:1]
    policy.save()
    before = calls(stats)
    assert tmp_id(api.get("/sts", token=alice_token)) != first
    assert calls(stats) == before + 1


def test_it_shows_on_the_user_page_when_issued_credentials_expire(
    api: Api, admin: AdminClient, alice: Any, alice_token: str
) -> None:
    tmp_id(api.get("/sts", token=alice_token))
    page = admin.get(f"/admin/auth/user/{alice.pk}/change/")
    assert "The last credential issued expires at" in page.text
    assert "STS has no revocation" in page.text
    assert 'data-testid="revoke-access"' in page.text
    assert get_user_model().objects.get(pk=alice.pk).is_active
