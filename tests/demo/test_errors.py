"""When credentials cannot be had, the demo says so on a page with a status, never a traceback."""

from __future__ import annotations

from typing import Any

from django.test import Client

from signer.models import CloudAccount
from tests.factories import DEMO_BUCKET, REGION, make_account, make_policy, make_user


def test_it_answers_502_when_sts_refuses_the_account_keys(cloud: Any, db: Any) -> None:
    account = make_account(cloud, name="wrong keys", secret_id="AKIDWRONGWRONGWRONGWRONG", secret_key="nope" * 8)
    client = Client()
    client.force_login(make_user("henry", policy=make_policy(account, name="wrong")))
    response = client.get("/")
    assert response.status_code == 502
    body = response.content.decode()
    assert "Cloud storage is not available right now" in body
    assert "AuthFailure" in body
    assert "nope" not in body


def test_it_answers_503_when_sts_is_unreachable(alice_client: Client, settings: Any) -> None:
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9"
    response = alice_client.get(f"/buckets/{REGION}/{DEMO_BUCKET}/")
    assert response.status_code == 503
    assert "Try again in a moment" in response.content.decode()


def test_it_styles_not_found(alice_client: Client, account: CloudAccount) -> None:
    response = alice_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "vendor/pico/pico.min.css" in response.content.decode()
