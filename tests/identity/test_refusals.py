"""Every ID token /sign and /sts must refuse, one test each: 401, `WWW-Authenticate: Bearer`, the API's error
envelope, and nothing issued."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
import time_machine
from django.utils import timezone

from signer.models import Identity, IdentityProvider
from tests.identity import forge
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.conftest import Api


def assert_refused(response: requests.Response, code_desc: str, words: str = "") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert body["code"] == 401
    assert body["codeDesc"] == code_desc
    assert words in body["message"]
    assert not Identity.objects.exists()


def test_it_accepts_a_token_signed_with_the_issuers_own_key(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    """The control for the forged tokens below: each differs from this one in one thing only."""
    response = api.get("/sign", headers=bearer(forge.sign(oidc, forge.claims(oidc))))
    assert response.status_code == 200, response.text


def test_it_refuses_an_expired_token(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = oidc.id_token("alice")  # oidc-provider's ID tokens live an hour
    with time_machine.travel(timezone.now() + timedelta(minutes=62)):
        assert_refused(api.get("/sign", headers=bearer(token)), "IdTokenExpired")


def test_it_refuses_a_token_not_valid_yet(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = forge.sign(oidc, forge.claims(oidc, nbf=int(timezone.now().timestamp()) + 600))
    assert_refused(api.get("/sts", headers=bearer(token)), "IdTokenNotYetValid")


def test_it_refuses_a_token_for_another_audience(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    provider.audiences = ["mobile-rs"]
    provider.save()
    token = oidc.id_token("alice", client_id="mobile-es")  # a real token, for another app of the same issuer
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", "audience")


def test_it_refuses_an_unknown_issuer(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = forge.sign(oidc, forge.claims(oidc, iss="https://issuer.example.com"))
    assert_refused(api.get("/sign", headers=bearer(token)), "UnknownIssuer")


def test_it_refuses_a_bad_signature(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = forge.sign(oidc, forge.claims(oidc), kid="rsa-1", key=forge.stranger_key())
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", "signature")


def test_it_refuses_a_key_the_issuer_does_not_publish(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    token = forge.sign(oidc, forge.claims(oidc), kid="rsa-2", key=forge.stranger_key())
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", "does not publish")


def test_it_refuses_alg_none(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    assert_refused(api.get("/sign", headers=bearer(forge.unsigned(forge.claims(oidc)))), "InvalidIdToken", "'none'")


def test_it_refuses_an_hmac_token_made_with_the_public_key(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    token = forge.hmac_with_public_key(oidc, forge.claims(oidc))
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", "'HS256'")


def test_it_refuses_a_token_past_the_maximum_age(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, settings: Any
) -> None:
    settings.SIGNER_ID_TOKEN_MAX_AGE = 300
    token = oidc.id_token("alice")
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):  # still an unexpired token
        assert_refused(api.get("/sign", headers=bearer(token)), "IdTokenTooOld")


def test_it_refuses_an_algorithm_the_provider_does_not_allow(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    provider.algorithms = ["RS256"]
    provider.save()
    token = oidc.id_token("alice", client_id="mobile-es")  # ES256, signed by the issuer's published EC key
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", "'ES256'")


@pytest.mark.parametrize("claim", ["iat", "exp"])
def test_it_refuses_a_token_without_a_required_claim(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, claim: str
) -> None:
    token = forge.sign(oidc, forge.claims(oidc, **{claim: None}))
    assert_refused(api.get("/sign", headers=bearer(token)), "InvalidIdToken", claim)


def test_it_refuses_a_bearer_token_that_is_not_a_jwt(api: Api, provider: IdentityProvider) -> None:
    assert_refused(api.get("/sign", headers=bearer("not-a-jwt")), "InvalidIdToken", "not a JWT")


@pytest.mark.parametrize(
    "subject",
    [
        "*",
        "alice*",
        "a?b",
        "alice/photos",
        "$x",
        "${username}",
        "a\x00b",
        "a\nb",
        "",
        "a" * 65,
        "..",
        "a b",
        "a:b",
        "ä",
    ],
)
def test_it_refuses_a_subject_that_is_not_a_safe_literal(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, subject: str
) -> None:
    token = forge.sign(oidc, forge.claims(oidc, sub=subject))
    assert_refused(api.get("/sign", headers=bearer(token)), "UnsafeIdentity")


def test_it_accepts_the_longest_safe_subject(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    subject = "A-z0.9_@+" + "x" * 55
    response = api.get("/sign", headers=bearer(forge.sign(oidc, forge.claims(oidc, sub=subject))))
    assert response.status_code == 200, response.text
    assert Identity.objects.get().user.username == f"oidc.{subject}"
