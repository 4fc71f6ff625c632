"""Hostile callers of the portal: oversized bodies, cross-site POSTs, password guessing, old and revoked tokens.

tests/signer covers the straightforward cases (413 on /sign, CSRF over a requests session, 429 on the login API,
token expiry and logout); here the same defences are attacked from the side: every endpoint, every browser form,
spoofed proxy headers, and tokens revoked from the demo's page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from tests.api import Api
from tests.factories import DEMO_BUCKET, PASSWORD, REGION, make_token, make_user
from tests.hardening.conftest import assert_envelope

SCOPE = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/a.txt"}
API_POSTS = ["/sign", "/sts", "/api/auth/login", "/api/auth/logout"]


# ------------------------------------------------------------------------------------------------- oversized bodies


@pytest.mark.parametrize("path", API_POSTS)
def test_it_refuses_bodies_over_the_limit_with_413_json_on_every_endpoint(
    api: Api, alice_token: str, settings: Any, path: str
) -> None:
    settings.SIGNER_MAX_BODY = 4096
    padding = "x" * 5000
    response = api.post(path, token=alice_token, json={"policy": padding, "username": padding, "password": padding})
    body = assert_envelope(response, 413, "RequestEntityTooLarge")
    assert "4096" in body["message"]
    # The token was not revoked by an oversized logout: the refusal comes before anything is done.
    assert api.get("/sign", token=alice_token).status_code == 200


def test_it_refuses_a_megabyte_json_body_before_parsing_it(api: Api, alice_token: str) -> None:
    huge = b'{"scopes": [' + b",".join([b'{"action":"name/cos:GetObject"}'] * 40000) + b"]}"
    assert len(huge) > 1024 * 1024
    response = api.post("/sts", token=alice_token, data=huge, headers={"Content-Type": "application/json"})
    assert_envelope(response, 413, "RequestEntityTooLarge")


def test_it_refuses_a_body_just_under_the_limit_for_its_content_not_its_size(
    api: Api, alice_token: str, settings: Any
) -> None:
    settings.SIGNER_MAX_BODY = 4096
    scopes = [SCOPE] * 30  # ~3.6 KB: under the size limit, and 30 scopes are allowed
    response = api.post("/sts", token=alice_token, json={"scopes": scopes})
    assert response.status_code == 200, response.text


def test_it_refuses_oversized_form_posts_to_pages(alice: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "alice", "password": "p" * 5000})
    assert response.status_code == 400
    assert b"Traceback" not in response.content


# -------------------------------------------------------------------------------------------------------------- CSRF


def test_it_enforces_csrf_on_session_authenticated_api_posts(alice: Any, alice_token: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    for path in ("/sts", "/sign"):
        refused = browser.post(path, {"scopes": [SCOPE]}, content_type="application/json")
        body = assert_envelope(refused, 403, "PermissionDenied")
        assert "CSRF" in body["message"]
    # Reads need no token, and a token-authenticated app needs no CSRF (it cannot be driven cross-site).
    assert browser.get("/sts").status_code == 200
    app = Client(enforce_csrf_checks=True)
    allowed = app.post(
        "/sts", {"scopes": [SCOPE]}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {alice_token}"
    )
    assert allowed.status_code == 200, allowed.content


def test_it_does_not_let_a_session_logout_happen_cross_site(alice: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert_envelope(browser.post("/api/auth/logout"), 403, "PermissionDenied")
    assert browser.get("/sts").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/access/tokens/", {}),
        ("/access/tokens/revoke/", {"token_key": "x"}),
        (f"/buckets/{REGION}/{DEMO_BUCKET}/delete/", {"key": "users/alice/a.txt"}),
        (f"/regions/{REGION}/", {"name": "evil"}),
        ("/accounts/logout/", {}),
    ],
)
def test_it_enforces_csrf_on_every_demo_form(alice: Any, path: str, data: dict[str, str]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(path, data)
    assert response.status_code == 403, (path, response.status_code)
    assert b"CSRF" in response.content or b"Forbidden" in response.content
    assert not AuthToken.objects.filter(user=alice).exists()


# --------------------------------------------------------------------------------------------------- brute force


def _login(api: Api, password: str, **headers: str) -> Any:
    return api.post("/api/auth/login", json={"username": "alice", "password": password}, headers=headers)


def test_it_slows_password_guessing_even_with_spoofed_forwarded_for(api: Api, alice: Any, settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "5/min"
    statuses = [_login(api, f"guess-{n}", **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(5)]
    assert statuses == [400] * 5
    # A new made-up client address per request does not reset the count (NUM_PROXIES=0: the header is not trusted).
    throttled = _login(api, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})
    assert_envelope(throttled, 429, "Throttled")
    assert int(throttled.headers["Retry-After"]) > 0
    assert not AuthToken.objects.exists()


def test_it_lets_the_owner_in_again_after_the_throttle_window(api: Api, alice: Any, settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "3/min"
    for n in range(3):
        _login(api, f"guess-{n}")
    assert _login(api, PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert _login(api, PASSWORD).status_code == 200


def _guess_through(path: str, settings: Any, username: str = "alice") -> tuple[Client, Any]:
    settings.SIGNER_LOGIN_RATE = "5/min"
    browser = Client()
    for n in range(5):
        assert browser.post(path, {"username": username, "password": f"guess-{n}"}).status_code == 200
    # After as many guesses as the API allows, the right password must not be accepted at once either.
    return browser, browser.post(path, {"username": username, "password": PASSWORD})


def test_it_slows_password_guessing_through_the_sign_in_page(alice: Any, settings: Any) -> None:
    browser, response = _guess_through("/accounts/login/", settings)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session


def test_it_slows_password_guessing_through_the_admin_login(transactional_db: None, settings: Any) -> None:
    make_user("charlie", is_superuser=True)
    browser, response = _guess_through("/admin/login/", settings, "charlie")
    assert response.status_code == 429, response.status_code
    assert "_auth_user_id" not in browser.session


# ------------------------------------------------------------------------------------------------------- tokens


def test_it_expires_tokens_after_the_configured_ttl(api: Api, alice: Any, settings: Any) -> None:
    token = api.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).json()["token"]
    ttl = timedelta(hours=settings.SIGNER_TOKEN_TTL_HOURS)
    with time_machine.travel(timezone.now() + ttl - timedelta(minutes=1)):
        assert api.get("/sts", token=token).status_code == 200
    with time_machine.travel(timezone.now() + ttl + timedelta(minutes=1)):
        assert_envelope(api.get("/sts", token=token), 401, "AuthenticationFailed")
        assert_envelope(api.post("/api/auth/logout", token=token), 401, "AuthenticationFailed")


def test_it_refuses_a_token_revoked_from_the_access_page_at_once(api: Api, alice: Any) -> None:
    token = make_token(alice)
    assert api.get("/sign", token=token).status_code == 200  # also warms the credential cache
    browser = Client()
    browser.force_login(alice)
    key = AuthToken.objects.get(user=alice).token_key
    assert browser.post("/access/tokens/revoke/", {"token_key": key, "confirm": "yes"}).status_code == 302
    # Refused at once, although credentials for this user are still cached.
    assert_envelope(api.get("/sign", token=token), 401, "AuthenticationFailed")
    assert_envelope(api.get("/sts", token=token), 401, "AuthenticationFailed")


def test_it_refuses_a_logged_out_token_at_once_and_only_that_one(api: Api, alice: Any) -> None:
    first, second = make_token(alice), make_token(alice)
    assert api.post("/api/auth/logout", token=first).status_code == 204
    assert_envelope(api.get("/sts", token=first), 401, "AuthenticationFailed")
    assert api.get("/sts", token=second).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token ",
        "Token a b",
        "Token " + "0" * 64,
        "Token " + "x" * 5000,
        "Bearer whatever",
        "Token \u00e9\u00e9\u00e9",
        "Basic YWxpY2U6Y29ycmVjdC1ob3JzZQ==",
    ],
)
def test_it_answers_401_for_every_malformed_authorization(api: Api, header: str, transactional_db: None) -> None:
    response = api.get("/sts", headers={"Authorization": header.encode("utf-8")})
    assert response.status_code == 401, response.text
    assert_envelope(response, 401)
