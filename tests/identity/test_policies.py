"""Which policies an identity gets: its provider's, plus those a claim maps to (kept up to date at each sign-in),
and `${jwt:<claim>}` in policy templates, which only ever receives safe literals."""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer.identity.services import identity_login
from signer.identity.tokens import VerifiedToken
from signer.models import AccessPolicy, CloudAccount, Identity, IdentityProvider, identity_variables
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, make_policy
from tests.identity import forge
from tests.identity.conftest import bearer
from tests.identity.oidc import OidcProvider
from tests.signer.conftest import Api


@pytest.fixture
def admins(account: CloudAccount, bucket: str) -> AccessPolicy:
    return make_policy(account, name="bucket admin", preset="bucket admin", bucket=bucket)


@pytest.fixture
def mapped(provider: IdentityProvider, admins: AccessPolicy) -> IdentityProvider:
    provider.policy_claim = "groups"
    provider.policy_mapping = {"admins": admins.name}
    provider.full_clean()
    provider.save()
    return provider


def test_it_gives_the_policies_a_groups_claim_maps_to(
    api: Api, oidc: OidcProvider, mapped: IdentityProvider, admins: AccessPolicy
) -> None:
    bob = api.get("/sign", headers=bearer(oidc.id_token("bob")), params={"policy": admins.name})  # groups: admins
    assert bob.status_code == 200, bob.text
    alice = api.get("/sign", headers=bearer(oidc.id_token("alice")), params={"policy": admins.name})  # staff
    assert alice.status_code == 403
    assert alice.json()["codeDesc"] == "UnknownPolicy"
    assert api.get("/sign", headers=bearer(oidc.id_token("alice"))).status_code == 200  # the provider's own policy


def test_it_takes_a_mapped_policy_away_when_the_mapping_no_longer_gives_it(
    api: Api, oidc: OidcProvider, mapped: IdentityProvider, admins: AccessPolicy
) -> None:
    assert api.get("/sts", headers=bearer(oidc.id_token("bob")), params={"policy": admins.name}).status_code == 200
    mapped.policy_mapping = {}
    mapped.save()
    response = api.get("/sts", headers=bearer(oidc.id_token("bob")), params={"policy": admins.name})
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "UnknownPolicy"
    assert list(Identity.objects.get().user.access_policies.all()) == [mapped.policy]


def test_it_ignores_unsafe_values_of_the_policy_claim(
    api: Api, oidc: OidcProvider, mapped: IdentityProvider, admins: AccessPolicy
) -> None:
    mapped.policy_mapping = {"admins*": admins.name}
    mapped.save(update_fields=["policy_mapping"])  # clean() would allow it: the claim value is what is checked
    token = forge.sign(oidc, forge.claims(oidc, groups=["admins*"]))
    response = api.get("/sign", headers=bearer(token), params={"policy": admins.name})
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "UnknownPolicy"


def _email_prefix_policy(account: CloudAccount) -> AccessPolicy:
    resource = f"qcs::cos:ap-guangzhou:uid/${{appid}}:{DEMO_BUCKET}/mail/${{jwt:email}}/*"
    statements = [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": [resource]}]
    return make_policy(account, name="by email", statements=statements)


def test_it_never_puts_an_unsafe_claim_into_a_policy(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, account: CloudAccount
) -> None:
    provider.policy = _email_prefix_policy(account)
    provider.save()
    token = forge.sign(oidc, forge.claims(oidc, email="*@example.com"))
    response = api.get("/sign", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "PolicyUnusable"
    assert "email" not in Identity.objects.get().claims


def test_it_fills_jwt_claims_into_policies(
    api: Api, oidc: OidcProvider, provider: IdentityProvider, account: CloudAccount, cloud: RunningServer
) -> None:
    provider.policy = _email_prefix_policy(account)
    provider.save()
    response = api.get("/sign", headers=bearer(oidc.id_token("alice")))
    assert response.status_code == 200, response.text
    credentials = response.json()["data"]["credentials"]
    client = cos_client(cloud, credentials["tmpSecretId"], credentials["tmpSecretKey"], credentials["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="mail/alice@example.com/a.txt", Body=b"by email")
    with pytest.raises(CosServiceError):
        client.put_object(Bucket=DEMO_BUCKET, Key="mail/bob@example.com/a.txt", Body=b"not hers")


def test_it_reads_the_claims_for_jwt_variables_without_a_query(
    provider: IdentityProvider, django_assert_num_queries: Any
) -> None:
    token = VerifiedToken(provider=provider, subject="alice", claims={"sub": "alice", "email": "alice@example.com"})
    for _ in range(2):  # created, then found
        user = identity_login(token=token)
        with django_assert_num_queries(0):
            assert identity_variables(user) == {"jwt:sub": "alice", "jwt:email": "alice@example.com"}
