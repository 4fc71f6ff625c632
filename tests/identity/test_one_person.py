"""Every credential names one person: one cached entry per user even when their policies render alike, the user in
the STS session name (what the cloud's logs show), the audit row found from a TmpSecretId in one search, `anonymous`
reserved, and the policy editor's warning about `${username}` without a separator."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from localcloud.server import RunningServer
from signer import audit
from signer.models import CloudAccount
from signer.policy_lint import unseparated_variables
from tests.factories import DEMO_BUCKET, PASSWORD, make_policy, make_token, make_user
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api

SHARED = [
    {
        "effect": "allow",
        "action": ["name/cos:GetObject"],
        "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{DEMO_BUCKET}/public/*"],
    }
]


@pytest.fixture
def admin(api: Api, transactional_db: None) -> AdminClient:
    make_user("admin", is_superuser=True)
    return AdminClient(api.base, "admin", PASSWORD)


def test_it_gives_two_people_with_the_same_rendered_policy_credentials_of_their_own(
    api: Api, account: CloudAccount, bucket: str, cloud: RunningServer, stats: Any
) -> None:
    shared = make_policy(account, name="public read", statements=SHARED)
    alice, bob = make_user("alice", policy=shared), make_user("bob", policy=shared)
    before = stats().get("sts:GetFederationToken", 0)
    ids = {}
    for user in (alice, bob):
        token = make_token(user)
        first = api.get("/sts", token=token).json()["credentials"]["tmpSecretId"]
        assert api.get("/sts", token=token).json()["credentials"]["tmpSecretId"] == first  # still cached per user
        ids[user.get_username()] = first
    assert ids["alice"] != ids["bob"]
    assert stats().get("sts:GetFederationToken", 0) - before == 2  # one STS call per person
    # The cloud's side: the federated user of each TmpSecretId is the person's id and name.
    for user in (alice, bob):
        principal = cloud.app.credentials.lookup(ids[user.get_username()])
        assert principal is not None
        assert principal.name == f"federated:portal-{user.pk}-{user.get_username()}"


def test_it_finds_the_audit_row_of_a_tmp_secret_id_in_one_search(
    api: Api, admin: AdminClient, alice_token: str, bob_token: str
) -> None:
    alice_id = api.get("/sts", token=alice_token).json()["credentials"]["tmpSecretId"]
    api.get("/sts", token=bob_token)
    audit.drain()
    found = admin.get(f"/admin/signer/issuedcredential/?q={alice_id}")
    assert found.status_code == 200
    assert "1 result" in found.text
    assert ">alice<" in found.text


def test_it_sanitises_a_user_name_into_the_sts_session_name(
    api: Api, account: CloudAccount, bucket: str, cloud: RunningServer
) -> None:
    shared = make_policy(account, name="public read", statements=SHARED)
    odd = make_user("li lei+cos@example.com/x", policy=shared)
    secret_id = api.get("/sts", token=make_token(odd)).json()["credentials"]["tmpSecretId"]
    principal = cloud.app.credentials.lookup(secret_id)
    assert principal is not None
    # Only [\w+=,.@-], 32 characters at most (GetFederationToken's Name).
    assert principal.name == "federated:" + f"portal-{odd.pk}-li_lei+cos@example.com_x"[:32]


@pytest.mark.parametrize("name", ["anonymous", "Anonymous", " ANONYMOUS"])
def test_it_reserves_the_name_anonymous_callers_render_as(name: str, db: None) -> None:
    with pytest.raises(ValidationError):
        get_user_model().objects.create_user(username=name, password=PASSWORD)
    assert not get_user_model().objects.exists()


def test_it_refuses_anonymous_in_the_admins_add_user_form(admin: AdminClient) -> None:
    response = admin.submit(
        "/admin/auth/user/add/",
        {"username": "anonymous", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert "is reserved: it is what anonymous callers are named" in response.text
    assert not get_user_model().objects.filter(username="anonymous").exists()


def test_it_warns_about_a_username_not_followed_by_a_separator() -> None:
    loose = [{"effect": "allow", "action": ["name/cos:*"], "resource": ["qcs::cos:*:uid/1:b-1/users/${username}*"]}]
    (warning,) = unseparated_variables(loose)
    assert "${username} is followed by '*'" in warning
    tight = [
        {
            "effect": "allow",
            "action": ["name/cos:*"],
            "resource": ["qcs::cos:*:uid/1:b-1/users/${username}/*", "qcs::cos:*:uid/1:b-1/avatars/${user_id}"],
        }
    ]
    assert unseparated_variables(tight) == []
    assert unseparated_variables([{"resource": "qcs::cos:*:uid/1:b-1/x/${jwt:email}.jpg"}])
