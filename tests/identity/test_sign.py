"""/sign and /sts with `Authorization: Bearer <ID token>` from a real OpenID Connect provider: the identity is the
portal user <provider>.<subject>, and `users/${username}/` policies give it a prefix of its own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer import audit
from signer.models import Identity, IdentityProvider, IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET
from tests.identity import forge
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.conftest import Api


def test_it_signs_for_an_id_token_and_the_credentials_write_only_under_the_identity_prefix(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, cloud: RunningServer
) -> None:
    response = api.get("/sign", headers=bearer(oidc.id_token("alice")))
    assert response.status_code == 200, response.text
    credentials = response.json()["data"]["credentials"]

    client = cos_client(cloud, credentials["tmpSecretId"], credentials["tmpSecretKey"], credentials["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/oidc.alice/hello.txt", Body=b"from the app")
    body = client.get_object(Bucket=DEMO_BUCKET, Key="users/oidc.alice/hello.txt")["Body"].get_raw_stream().read()
    assert body == b"from the app"
    with pytest.raises(CosServiceError) as outside:
        client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/hello.txt", Body=b"not a password user's folder")
    assert outside.value.get_status_code() == 403

    audit.drain()
    assert IssuedCredential.objects.get().username == "oidc.alice"


def test_it_serves_sts_for_an_es256_id_token(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, cloud: RunningServer
) -> None:
    token = oidc.id_token("bob", client_id="mobile-es")
    response = api.post("/sts", headers=bearer(token), json={})
    assert response.status_code == 200, response.text
    credentials = response.json()["credentials"]
    client = cos_client(cloud, credentials["tmpSecretId"], credentials["tmpSecretKey"], credentials["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/oidc.bob/a.txt", Body=b"bob")


def test_it_creates_the_identity_user_once_without_a_usable_password(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    for _ in range(2):
        assert api.get("/sts", headers=bearer(oidc.id_token("alice"))).status_code == 200
    identity = Identity.objects.select_related("user").get()
    assert (identity.provider, identity.subject) == (provider, "alice")
    assert identity.user.username == "oidc.alice"
    assert not identity.user.has_usable_password()
    assert identity.claims["email"] == "alice@example.com"
    assert get_user_model().objects.filter(username__startswith="oidc.").count() == 1


def test_it_never_takes_over_an_existing_account_with_the_identity_name(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    get_user_model().objects.create_user(username="oidc.alice", password="a-password-user")
    response = api.get("/sign", headers=bearer(oidc.id_token("alice")))
    assert response.status_code == 401
    assert response.json()["codeDesc"] == "IdentityUnavailable"
    assert not Identity.objects.exists()


def test_it_refuses_an_identity_whose_user_was_disabled(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    assert api.get("/sign", headers=bearer(oidc.id_token("alice"))).status_code == 200
    get_user_model().objects.filter(username="oidc.alice").update(is_active=False)
    response = api.get("/sign", headers=bearer(oidc.id_token("alice")))
    assert response.status_code == 401
    assert response.json()["codeDesc"] == "IdentityUnavailable"


def test_it_refuses_tokens_of_a_disabled_provider(api: Api, oidc: OidcProvider, provider: IdentityProvider) -> None:
    provider.is_active = False
    provider.save()
    response = api.get("/sign", headers=bearer(oidc.id_token("alice")))
    assert response.status_code == 401
    assert response.json()["codeDesc"] == "UnknownIssuer"


def test_it_stores_the_safe_claims_about_the_person_not_those_of_the_token(
    api: Api, oidc: OidcProvider, provider: IdentityProvider
) -> None:
    token = forge.sign(oidc, forge.claims(oidc, email="alice@example.com", nickname="a/lice", nonce="n-1", jti="j-1"))
    assert api.get("/sign", headers=bearer(token)).status_code == 200
    assert Identity.objects.get().claims == {"sub": "alice", "aud": "mobile-rs", "email": "alice@example.com"}
