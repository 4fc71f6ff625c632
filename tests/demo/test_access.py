"""My access (/access/): policies in plain words, API tokens shown once, revocable, and copy-paste examples."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from knox.models import AuthToken

from signer.models import CloudAccount
from tests.factories import PASSWORD, make_policy, make_user


def test_it_describes_the_policy_in_plain_words(alice_client: Client) -> None:
    body = alice_client.get("/access/").content.decode()
    assert "read-write own prefix" in body
    assert "upload files" in body
    assert "files under users/alice/ in bucket demo-1250000000" in body
    assert "see the account&#x27;s buckets" in body


def test_it_shows_upload_limits(account: CloudAccount, bucket: str) -> None:
    policy = make_policy(
        account, name="limited", bucket=bucket, max_object_size=20 * 1024 * 1024, allowed_content_types="image/*"
    )
    client = Client()
    client.force_login(make_user("grace", policy=policy))
    body = client.get("/access/").content.decode()
    assert "Uploads of at most 20 MiB" in body
    assert "Only files of type image/*" in body
    assert "file size at most 20 MiB" in body


def test_it_creates_a_token_shows_it_once_and_the_token_works(alice_client: Client, alice: Any) -> None:
    created = alice_client.post("/access/tokens/", {"name": "iPhone", "hours": "24"})
    assert created.status_code == 302  # a reload of the page that follows creates nothing
    response = alice_client.get(created["Location"])
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    shown = re.search(r'value="([^"]+)" id="new-token"', body)
    assert shown
    plaintext = shown.group(1)
    assert f"Authorization: Token {plaintext}" in body  # the examples are ready to paste
    assert "iPhone" in body

    sts = Client().post("/sts", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {plaintext}")
    assert sts.status_code == 200
    assert sts.json()["credentials"]["tmpSecretId"]

    again = alice_client.get("/access/").content.decode()
    assert plaintext not in again  # shown once
    assert plaintext[:8] in again  # listed by its prefix
    token = AuthToken.objects.get(user=alice)
    assert token.info.name == "iPhone"
    assert token.info.last_used is not None  # the /sts call above
    assert token.expiry is not None
    assert timedelta(hours=23) < token.expiry - token.created <= timedelta(hours=24)


def test_it_offers_lifetimes_up_to_the_setting_only(alice_client: Client, alice: Any, settings: Any) -> None:
    settings.SIGNER_TOKEN_TTL_HOURS = 48
    body = alice_client.get("/access/").content.decode()
    assert '<option value="48" selected>2 days</option>' in body
    assert 'value="168"' not in body
    alice_client.post("/access/tokens/", {"name": "CI", "hours": "100000"})
    token = AuthToken.objects.get(user=alice)
    assert token.expiry is not None
    assert token.expiry - token.created <= timedelta(hours=48)


def test_it_caps_the_tokens_of_one_person(alice_client: Client, alice: Any, settings: Any) -> None:
    settings.SIGNER_TOKEN_LIMIT_PER_USER = 2
    for name in ("one", "two", "three"):
        alice_client.post("/access/tokens/", {"name": name})
    assert AuthToken.objects.filter(user=alice).count() == 2
    page = alice_client.get("/access/").content.decode()
    assert "You already have 2 API tokens" in page


def test_it_asks_before_revoking_then_revokes_at_once(alice_client: Client, alice: Any) -> None:
    alice_client.post("/access/tokens/", {"name": "iPhone"})
    token = AuthToken.objects.get(user=alice)
    asked = alice_client.post("/access/tokens/revoke/", {"token_key": token.token_key})
    assert asked.status_code == 200
    assert 'data-testid="confirm-revoke"' in asked.content.decode()
    assert "iPhone" in asked.content.decode()
    assert AuthToken.objects.filter(user=alice).exists()
    response = alice_client.post("/access/tokens/revoke/", {"token_key": token.token_key, "confirm": "yes"})
    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=alice).exists()


def test_it_does_not_let_bob_revoke_alices_token(alice_client: Client, bob_client: Client, alice: Any) -> None:
    alice_client.post("/access/tokens/")
    token = AuthToken.objects.get(user=alice)
    assert bob_client.post("/access/tokens/revoke/", {"token_key": token.token_key}).status_code == 404
    assert AuthToken.objects.filter(user=alice).exists()
    assert token.token_key not in bob_client.get("/access/").content.decode()


def test_it_gives_curl_examples_for_sign_and_sts(alice_client: Client) -> None:
    body = alice_client.get("/access/").content.decode()
    assert "curl -X POST http://testserver/sts" in body
    assert "curl http://testserver/sign" in body
    assert '"codeDesc": "Success"' in body
    assert "tmpSecretId" in body


def test_it_answers_404_for_a_token_key_that_is_not_the_users(alice_client: Client, bob_client: Client) -> None:
    bob_client.post("/access/tokens/")
    assert alice_client.post("/access/tokens/revoke/", {"token_key": "deadbeef"}).status_code == 404
    assert alice_client.post("/access/tokens/revoke/", {}).status_code == 404
    bobs = AuthToken.objects.get(user__username="bob")
    assert alice_client.post("/access/tokens/revoke/", {"token_key": bobs.token_key}).status_code == 404
    assert AuthToken.objects.filter(pk=bobs.pk).exists()


def test_it_retires_the_oldest_token_when_an_app_signs_in_past_the_cap(alice: Any, settings: Any) -> None:
    settings.SIGNER_TOKEN_LIMIT_PER_USER = 2
    app = Client()
    tokens = []
    for _ in range(3):
        answer = app.post(
            "/api/auth/login", {"username": "alice", "password": PASSWORD}, content_type="application/json"
        )
        assert answer.status_code == 200
        tokens.append(answer.json()["token"])
    assert AuthToken.objects.filter(user=alice).count() == 2
    oldest = Client().get("/sts", HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert oldest.status_code == 401
    assert Client().get("/sts", HTTP_AUTHORIZATION=f"Token {tokens[2]}").status_code == 200
