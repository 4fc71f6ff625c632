"""The audit of refusals: one Refusal row per kind (user if known, client address, reason, time), never a secret,
at most SIGNER_REFUSAL_AUDIT_RATE rows per kind and address; and pages' credentials audited once, not per view."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from signer import audit
from signer.models import IssuedCredential, Refusal
from tests.factories import DEMO_BUCKET, PASSWORD, REGION, make_token, make_user
from tests.ops.conftest import Scrape

pytestmark = pytest.mark.django_db(transaction=True)

TokenClient = Callable[[str], Client]
WRONG = "wrong-password-that-must-not-be-kept"


def only(kind: str) -> Refusal:
    rows = list(Refusal.objects.filter(kind=kind))
    assert len(rows) == 1, rows
    return rows[0]


def test_it_audits_a_failed_sign_in_on_the_api() -> None:
    make_user("alice")
    response = Client().post(
        "/api/auth/login", {"username": "alice", "password": WRONG}, content_type="application/json"
    )
    assert response.status_code == 400
    row = only("login_failed")
    assert (row.username, row.client_ip, row.path, row.user) == ("alice", "127.0.0.1", "/api/auth/login", None)
    assert row.reason == "wrong username or password"
    assert timezone.now() - row.created < timedelta(minutes=1)


def test_it_audits_a_failed_sign_in_on_the_pages_form() -> None:
    make_user("alice")
    response = Client().post("/accounts/login/", {"username": "alice", "password": WRONG})
    assert response.status_code == 200  # the form again, with its error
    row = only("login_failed")
    assert (row.username, row.path) == ("alice", "/accounts/login/")


def test_it_audits_a_failed_sign_in_on_the_admin() -> None:
    make_user("root", is_superuser=True)
    Client().post("/admin/login/", {"username": "root", "password": WRONG})
    row = only("login_failed")
    assert (row.username, row.path) == ("root", "/admin/login/")


def test_it_audits_a_rejected_knox_token(token_client: TokenClient) -> None:
    assert token_client("not-a-real-token").get("/sign").status_code == 401
    row = only("token_rejected")
    assert row.reason.startswith("Token: ")
    assert "not-a-real-token" not in json.dumps([row.reason, row.path, row.username])


def test_it_audits_a_rejected_bearer_id_token() -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer eyJhbGciOi.not.a-token").get("/sign")
    assert response.status_code == 401
    row = only("token_rejected")
    assert row.reason == "Bearer: The bearer token is not a JWT."


def test_it_audits_a_scope_refused(token_client: TokenClient, alice: Any, alice_token: str) -> None:
    scope = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/bob/x.txt"}
    response = token_client(alice_token).post("/sign", {"scopes": [scope]}, content_type="application/json")
    assert response.status_code == 403
    row = only("scope_refused")
    assert (row.user, row.username) == (alice, "alice")
    assert "users/bob/x.txt" in row.reason


def test_it_audits_a_policy_asked_for_by_a_name_that_is_not_the_users(
    token_client: TokenClient, alice: Any, alice_token: str, account: Any
) -> None:
    """Someone trying policy names: one that exists but is not alice's, one that does not exist, the same on a page."""
    from tests.factories import make_policy

    make_policy(account, name="bucket admin", preset="bucket admin")
    for name in ("bucket admin", "no such policy"):
        response = token_client(alice_token).get("/sign", {"policy": name})
        assert response.status_code == 403
        assert response.json()["codeDesc"] == "UnknownPolicy"
    pages = Client(REMOTE_ADDR="192.0.2.7")
    pages.force_login(alice)
    assert pages.post("/access/policy/", {"policy": "bucket admin"}).status_code == 403  # My access: use this one
    rows = list(Refusal.objects.filter(kind="policy_refused").order_by("created"))
    assert [(row.user, row.client_ip, row.path) for row in rows] == [
        (alice, "127.0.0.1", "/sign"),
        (alice, "127.0.0.1", "/sign"),
        (alice, "192.0.2.7", "/access/policy/"),
    ]
    assert "'bucket admin'" in rows[0].reason
    assert "'no such policy'" in rows[1].reason
    assert not IssuedCredential.objects.exists()


def test_it_audits_a_user_without_a_policy_on_the_api_and_the_pages(
    token_client: TokenClient, account: Any, settings: Any
) -> None:
    carol = make_user("carol")
    assert token_client(make_token(carol)).get("/sign").status_code == 403
    pages = Client(REMOTE_ADDR="192.0.2.5")
    pages.force_login(carol)
    assert pages.get("/").status_code == 403
    rows = list(Refusal.objects.filter(kind="no_policy").order_by("created"))
    assert [(row.username, row.client_ip, row.path) for row in rows] == [
        ("carol", "127.0.0.1", "/sign"),
        ("carol", "192.0.2.5", "/"),
    ]


def test_it_audits_throttled_callers_with_their_scope(
    token_client: TokenClient, alice_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "1/min"
    client = token_client(alice_token)
    assert client.get("/sign").status_code == 200
    assert client.get("/sign").status_code == 429
    row = only("throttled")
    assert (row.username, row.reason) == ("alice", "over the sign rate limit")


def test_it_audits_throttled_sign_ins_on_the_pages_form(settings: Any) -> None:
    settings.SIGNER_LOGIN_RATE = "1/min"
    make_user("alice")
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": WRONG})
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    assert only("throttled").reason == "over the login_form rate limit"


def test_it_records_the_client_behind_trusted_proxies(token_client: TokenClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.50, 198.51.100.2"}
    assert Client(HTTP_AUTHORIZATION="Token nope", **forwarded).get("/sign").status_code == 401
    assert only("token_rejected").client_ip == "198.51.100.2"


def test_it_keeps_a_guesser_from_flooding_the_audit_but_counts_every_refusal(scrape: Scrape, settings: Any) -> None:
    settings.SIGNER_REFUSAL_AUDIT_RATE = "2/min"
    before = scrape("portal_refusals_total", kind="token_rejected")
    for _ in range(5):
        assert Client(HTTP_AUTHORIZATION="Token guess").get("/sign").status_code == 401
    assert Refusal.objects.filter(kind="token_rejected").count() == 2
    assert scrape("portal_refusals_total", kind="token_rejected") - before == 5
    # Another address is audited on its own.
    assert Client(HTTP_AUTHORIZATION="Token guess", REMOTE_ADDR="192.0.2.9").get("/sign").status_code == 401
    assert Refusal.objects.filter(kind="token_rejected").count() == 3


def test_it_never_keeps_the_password_tried() -> None:
    make_user("alice")
    Client().post("/api/auth/login", {"username": "alice", "password": WRONG}, content_type="application/json")
    Client().post("/accounts/login/", {"username": "alice", "password": WRONG})
    rows = list(Refusal.objects.values())
    assert len(rows) == 2
    assert WRONG not in json.dumps(rows, default=str)


def test_it_prunes_old_refusals_with_the_deliveries(capsys: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        Client(HTTP_AUTHORIZATION="Token old").get("/sign")
    Client(HTTP_AUTHORIZATION="Token new", REMOTE_ADDR="192.0.2.1").get("/sign")
    call_command("prune_audit", days=30)
    assert list(Refusal.objects.values_list("client_ip", flat=True)) == ["192.0.2.1"]
    assert "Deleted 1 audit row(s)" in capsys.readouterr().out


def test_it_audits_a_pages_credential_once_per_user_and_address(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    for _ in range(3):
        assert client.get("/").status_code == 200
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    elsewhere.force_login(alice)
    assert elsewhere.get("/").status_code == 200
    audit.drain()
    rows = IssuedCredential.objects.filter(username="alice")
    assert sorted(rows.values_list("client_ip", flat=True)) == ["127.0.0.1", "192.0.2.7"]
    assert len({row.tmp_secret_id for row in rows}) == 1


def test_it_still_audits_every_api_delivery(token_client: TokenClient, alice_token: str) -> None:
    client = token_client(alice_token)
    for _ in range(3):
        assert client.get("/sign").status_code == 200
    audit.drain()
    assert IssuedCredential.objects.filter(username="alice").count() == 3


def test_it_lists_refusals_in_the_admin_filtered_by_kind(token_client: TokenClient) -> None:
    token_client("nope").get("/sign")
    make_user("alice")
    Client().post("/api/auth/login", {"username": "alice", "password": WRONG}, content_type="application/json")
    admin = Client()
    admin.force_login(make_user("root", is_superuser=True))
    page = admin.get("/admin/signer/refusal/", {"kind__exact": "token_rejected"})
    assert page.status_code == 200
    listed = [row.kind for row in page.context["cl"].result_list]
    assert listed == ["token_rejected"]
    assert b"failed sign-in" in page.content  # the filter offers every kind by its name
