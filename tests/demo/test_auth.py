"""Login, logout and the navigation bar; every demo page needs a signed-in user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.factories import DEMO_BUCKET, PASSWORD, REGION

PAGES = [
    "/",
    f"/regions/{REGION}/",
    f"/buckets/{REGION}/{DEMO_BUCKET}/",
    f"/buckets/{REGION}/{DEMO_BUCKET}/delete/?key=users/alice/a.txt",
    "/access/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_it_refuses_anonymous_token_and_bucket_actions(client: Client) -> None:
    assert client.post("/access/tokens/").status_code == 302
    assert client.post("/access/tokens/revoke/", {"token_key": "x"}).status_code == 302


@pytest.mark.django_db
def test_it_shows_a_styled_login_page(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert "vendor/pico/pico.min.css" in body
    assert "style=" not in body  # CSP: no inline styles


def test_it_logs_in_and_shows_the_user_and_the_mode(client: Client, alice: Any) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/").content.decode()
    assert 'data-testid="nav-user">alice<' in page
    assert "badge-local" in page


def test_it_explains_a_failed_login_next_to_the_form(client: Client, alice: Any) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert "correct username and password" in body


def test_it_logs_out_with_a_post(alice_client: Client) -> None:
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert alice_client.get("/").status_code == 302


def test_it_slows_down_password_guessing(client: Client, alice: Any, settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "3/min"
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "alice", "password": "guess"}).status_code == 200
    refused = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    # The rest of this minute and the third of the next it takes 3 failures to weigh 2 (sliding window).
    assert 20 <= int(refused["Retry-After"]) <= 80
    assert "Too many failed sign-ins" in refused.content.decode()
    assert client.get("/").status_code == 302  # not signed in

    with time_machine.travel(datetime.now(tz=UTC) + timedelta(seconds=int(refused["Retry-After"]) + 1)):
        assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
