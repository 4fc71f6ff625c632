"""Tokens for apps: POST /api/auth/login and /api/auth/logout (knox: hashed at rest, expiring, revocable at once)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone
from knox.models import AuthToken

from tests.factories import PASSWORD
from tests.signer.conftest import Api
from tests.signer.test_access import assert_error


def login(api: Api, username: str = "alice", password: str = PASSWORD) -> Any:
    return api.post("/api/auth/login", json={"username": username, "password": password})


def test_it_logs_in_and_signs_with_the_token(api: Api, alice: Any) -> None:
    response = login(api)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    assert timedelta(days=6) < expiry - timezone.now() <= timedelta(days=7)
    # Hashed at rest: the database holds a digest, never the token.
    stored = AuthToken.objects.get(user=alice)
    assert body["token"] not in {stored.digest, stored.token_key}
    assert api.get("/sign", token=body["token"]).json()["code"] == 0


def test_it_refuses_a_wrong_password_or_unknown_user(api: Api, alice: Any) -> None:
    for username, password in (("alice", "wrong"), ("nobody", PASSWORD)):
        body = assert_error(login(api, username, password), 400, "ValidationError")
        assert body["message"] == "Unable to log in with the username and password given."
    assert_error(api.post("/api/auth/login", json={"username": "alice"}), 400, "ValidationError")
    assert not AuthToken.objects.exists()


def test_it_refuses_a_revoked_token_at_once(api: Api, alice: Any) -> None:
    token = login(api).json()["token"]
    other = login(api).json()["token"]
    assert api.get("/sign", token=token).status_code == 200
    logout = api.post("/api/auth/logout", token=token)
    assert logout.status_code == 204
    assert_error(api.get("/sign", token=token), 401, "AuthenticationFailed")
    assert_error(api.post("/api/auth/logout", token=token), 401, "AuthenticationFailed")
    # Only that token: the app's other session keeps working.
    assert api.get("/sign", token=other).status_code == 200


def test_it_refuses_an_expired_token(api: Api, alice: Any, settings: Any) -> None:
    token = login(api).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(hours=settings.SIGNER_TOKEN_TTL_HOURS, minutes=1)):
        assert_error(api.get("/sign", token=token), 401, "AuthenticationFailed")


def test_it_slows_down_password_guessing(api: Api, alice: Any, settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "3/min"
    statuses = [login(api, "alice", f"guess-{n}").status_code for n in range(3)]
    assert statuses == [400, 400, 400]
    throttled = login(api)  # even the right password waits
    assert_error(throttled, 429, "Throttled")
    assert int(throttled.headers["Retry-After"]) > 0
