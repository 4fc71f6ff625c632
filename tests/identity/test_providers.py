"""Registering an identity provider: `manage.py add_identity_provider`, what its model refuses at save, and the
issuer's keys fetched again on an unknown kid no more than once per interval."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from signer.identity import keys
from signer.models import AccessPolicy, IdentityProvider
from tests.identity import forge
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.conftest import Api


def test_it_adds_then_updates_a_provider_from_the_command_line(policy: AccessPolicy) -> None:
    out = StringIO()
    arguments = ["--name", "app", "--issuer", "https://login.example.com", "--policy", policy.name]
    call_command("add_identity_provider", *arguments, "--audience", "ios", "--audience", "android", stdout=out)
    assert "Added identity provider 'app'" in out.getvalue()
    call_command("add_identity_provider", *arguments, "--audience", "web", "--claim", "email", stdout=out)
    provider = IdentityProvider.objects.get()
    assert (provider.audiences, provider.claim, provider.policy) == (["web"], "email", policy)
    assert provider.algorithms == ["RS256", "ES256"]


def test_it_refuses_an_unknown_policy_on_the_command_line(transactional_db: None) -> None:
    with pytest.raises(CommandError, match="no access policy named 'nope'"):
        call_command(
            "add_identity_provider",
            "--name",
            "app",
            "--issuer",
            "https://x.example",
            "--audience",
            "a",
            "--policy",
            "nope",
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"algorithms": ["HS256"]}, "algorithms"),
        ({"algorithms": ["none"]}, "algorithms"),
        ({"algorithms": []}, "algorithms"),
        ({"audiences": []}, "audiences"),
        ({"issuer": "http://login.example.com"}, "issuer"),
        ({"issuer": "https://login.example.com/?tenant=1"}, "issuer"),
        ({"name": "a.b"}, "name"),
        ({"policy_mapping": {"admins": "no such policy"}, "policy_claim": "groups"}, "policy_mapping"),
        ({"policy_mapping": {"admins": "x"}}, "policy_mapping"),
    ],
)
def test_it_refuses_an_unsafe_provider_at_save(transactional_db: None, changes: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = {"name": "app", "issuer": "https://login.example.com", "audiences": ["ios"]}
    with pytest.raises(ValidationError) as refused:
        IdentityProvider(**{**fields, **changes}).full_clean()
    assert field in refused.value.message_dict


def test_it_fetches_the_keys_again_on_an_unknown_kid_at_most_once_a_minute(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []
    fetch = keys._get_json

    def counting(url: str) -> dict[str, Any]:
        fetched.append(url)
        return fetch(url)

    monkeypatch.setattr(keys, "_get_json", counting)
    assert api.get("/sign", headers=bearer(oidc.id_token("alice"))).status_code == 200
    assert len(fetched) == 2  # the discovery document, then the JWKS

    def unknown_kid() -> int:
        token = forge.sign(oidc, forge.claims(oidc), kid="rotated", key=forge.stranger_key())
        status: int = api.get("/sign", headers=bearer(token)).status_code
        return status

    assert [unknown_kid() for _ in range(5)] == [401] * 5
    assert len(fetched) == 2  # within a minute of the last fetch: no new one
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert [unknown_kid() for _ in range(5)] == [401] * 5
    assert fetched[2:] == [fetched[1]]  # one more JWKS fetch for the five


def test_it_answers_503_when_the_issuer_cannot_be_reached(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = IdentityProvider.objects.create(
        name="down", issuer="http://127.0.0.1:9", audiences=["mobile-rs"], policy=provider.policy
    )
    fetched: list[str] = []
    fetch = keys._get_json
    monkeypatch.setattr(keys, "_get_json", lambda url: fetched.append(url) or fetch(url))
    token = forge.sign(oidc, forge.claims(oidc, iss=unreachable.issuer))
    for _ in range(3):
        response = api.get("/sign", headers=bearer(token))
        assert response.status_code == 503
        assert response.json()["codeDesc"] == "IssuerUnavailable"
    assert fetched == ["http://127.0.0.1:9/.well-known/openid-configuration"]  # then refused without trying
