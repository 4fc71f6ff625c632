"""Behind a reverse proxy every request comes from the proxy's address: the client is the address the proxy adds to
X-Forwarded-For, trusted as far as NUM_PROXIES says (signer/net.py). Password guessers are counted per client, so
one guesser does not lock everyone else out of the sign-in pages; and with NUM_PROXIES=0 the header is ignored, so a
guesser cannot reset the count by making up addresses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from signer import audit
from signer.models import IssuedCredential
from tests.factories import PASSWORD, make_user

PROXY = "10.0.0.1"
GUESSER = "203.0.113.5"
OWNER = "198.51.100.7"
SIGN_IN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def behind_one_proxy(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def through_proxy(client_address: str) -> Client:
    """A browser whose requests reach the portal through the proxy, which appends the client's address."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


@pytest.fixture
def charlie(transactional_db: None) -> Any:
    """A staff user, so that the admin's sign-in lets the right password in."""
    return make_user("charlie", is_staff=True, is_superuser=True)


def guess(browser: Client, path: str, times: int) -> list[int]:
    return [browser.post(path, {"username": "charlie", "password": f"guess-{n}"}).status_code for n in range(times)]


@pytest.mark.parametrize("path", SIGN_IN_PAGES)
def test_it_counts_two_clients_behind_one_proxy_apart(
    path: str, charlie: Any, behind_one_proxy: None, settings: Any
) -> None:
    settings.SIGNER_LOGIN_RATE = "3/min"
    guesser = through_proxy(GUESSER)
    assert guess(guesser, path, 4) == [200, 200, 200, 429]

    owner = through_proxy(OWNER)
    signed_in = owner.post(path, {"username": "charlie", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert owner.session["_auth_user_id"] == str(charlie.pk)
    # The guesser is still refused, even with the right password.
    assert guesser.post(path, {"username": "charlie", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("path", SIGN_IN_PAGES)
def test_it_ignores_a_forged_forwarded_for_without_a_proxy(path: str, charlie: Any, settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "3/min"
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    statuses = [
        Client(REMOTE_ADDR=GUESSER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        .post(path, {"username": "charlie", "password": f"guess-{n}"})
        .status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    forged = Client(REMOTE_ADDR=GUESSER, HTTP_X_FORWARDED_FOR=OWNER)
    refused = forged.post(path, {"username": "charlie", "password": PASSWORD})
    assert refused.status_code == 429
    assert "_auth_user_id" not in forged.session


def test_it_throttles_the_login_api_per_client_behind_a_proxy(
    charlie: Any, behind_one_proxy: None, settings: Any
) -> None:
    settings.SIGNER_LOGIN_RATE = "2/min"

    def login(client_address: str, password: str) -> int:
        body = json.dumps({"username": "charlie", "password": password})
        response = through_proxy(client_address).post("/api/auth/login", body, content_type="application/json")
        return response.status_code

    assert [login(GUESSER, "guess") for _ in range(3)] == [400, 400, 429]
    assert login(OWNER, PASSWORD) == 200


def test_it_audits_the_client_not_the_proxy(alice_token: str, behind_one_proxy: None) -> None:
    app = Client(
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {OWNER}", HTTP_AUTHORIZATION=f"Token {alice_token}"
    )
    response = app.get("/sts")
    assert response.status_code == 200, response.content
    audit.drain()
    row = IssuedCredential.objects.get(tmp_secret_id=response.json()["credentials"]["tmpSecretId"])
    # The address the one trusted proxy saw; what the client itself wrote before it (192.0.2.99) is not trusted.
    assert row.client_ip == OWNER
