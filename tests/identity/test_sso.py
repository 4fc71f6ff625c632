"""Single sign-on for the portal's pages: the authorization code flow with PKCE through a real OpenID Connect
provider (oidc-provider), in Chromium; and staff refused at the password forms when SSO is required for them."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from signer.models import SignedInSession
from tests.factories import PASSWORD, make_user
from tests.identity.oidc import OidcProvider

# Playwright's sync API runs an event loop in the test's thread; the ORM calls here are the test's own, not async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def sso(oidc: OidcProvider, settings: Any) -> OidcProvider:
    """The portal configured for the test issuer's web client, as the environment would configure it."""
    discovery = requests.get(f"{oidc.issuer}/.well-known/openid-configuration", timeout=10).json()
    settings.OIDC_RP_CLIENT_ID = "portal-web"
    settings.OIDC_RP_CLIENT_SECRET = "portal-web-secret"  # the test issuer's, public on purpose
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_RP_SCOPES = "openid email"
    settings.OIDC_USERNAME_CLAIM = "sub"
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    return oidc


@pytest.mark.browser
def test_it_signs_alice_in_through_the_company_provider_in_chromium(
    sso: OidcProvider, live_server: Any, page: Any, transactional_db: None
) -> None:
    alice = make_user("alice")
    page.goto(f"{live_server.url}/accounts/login/?next=/access/")
    page.get_by_test_id("sso").click()  # "Sign in with Example SSO", beside the password form
    page.wait_for_url(f"{sso.issuer}/**")
    page.fill("input[name=login]", "alice")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/access/")
    assert page.locator("h1").inner_text() == "My access"
    assert SignedInSession.objects.filter(user=alice).count() == 1  # the kill switch can end this session


def test_it_offers_no_sso_when_it_is_not_configured(client: Any, db: None) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'data-testid="sso"' not in page.content
    assert client.get("/oidc/authenticate/").status_code == 404


def test_it_starts_the_code_flow_with_pkce(sso: OidcProvider, client: Any, db: None) -> None:
    started = client.get("/oidc/authenticate/")
    assert started.status_code == 302
    location = started["Location"]
    assert location.startswith(sso.issuer)
    assert "code_challenge_method=S256" in location
    assert "code_challenge=" in location
    assert "client_id=portal-web" in location


@pytest.mark.browser
@pytest.mark.parametrize("create", [False, True])
def test_it_signs_in_an_unknown_user_only_when_creation_is_allowed(
    sso: OidcProvider, settings: Any, create: bool, live_server: Any, page: Any, transactional_db: None
) -> None:
    settings.OIDC_CREATE_USER = create
    page.goto(f"{live_server.url}/oidc/authenticate/?next=/access/")
    page.fill("input[name=login]", "bob")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")
    page.wait_for_load_state()
    created = get_user_model().objects.filter(username="bob").first()
    if create:
        assert page.url == f"{live_server.url}/access/"
        assert created is not None
        assert not created.has_usable_password()
    else:
        assert "/accounts/login/" in page.url
        assert created is None


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_it_refuses_staff_at_the_password_forms_when_sso_is_required(
    sso: OidcProvider, settings: Any, client: Any, path: str, db: None
) -> None:
    settings.OIDC_REQUIRED_FOR_STAFF = True
    make_user("carol", is_staff=True)
    response = client.post(path, {"username": "carol", "password": PASSWORD})
    assert response.status_code == 200
    assert "Staff accounts sign in with single sign-on" in response.content.decode()
    assert "_auth_user_id" not in client.session
    make_user("dave")
    assert client.post("/accounts/login/", {"username": "dave", "password": PASSWORD}).status_code == 302


def test_it_refuses_staff_at_the_api_login_when_sso_is_required(
    sso: OidcProvider, settings: Any, client: Any, db: None
) -> None:
    settings.OIDC_REQUIRED_FOR_STAFF = True
    make_user("carol", is_staff=True)
    response = client.post(
        "/api/auth/login", {"username": "carol", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "single sign-on" in response.json()["message"]
