"""Who may do what, visible in the admin: a user's effective policies with the rendered document, equal priorities
refused at save, and the warning about `${username}` without a separator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group

from signer.models import AccessPolicy, CloudAccount
from tests.factories import DEMO_BUCKET, PASSWORD, make_policy, make_user
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api


@pytest.fixture
def admin(api: Api, transactional_db: None) -> AdminClient:
    make_user("admin", is_superuser=True)
    return AdminClient(api.base, "admin", PASSWORD)


def form(account: CloudAccount, **overrides: Any) -> dict[str, Any]:
    statements = [
        {
            "effect": "allow",
            "action": ["name/cos:GetObject"],
            "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{DEMO_BUCKET}/users/${{username}}/*"],
        }
    ]
    values: dict[str, Any] = {
        "name": "second",
        "description": "",
        "account": str(account.pk),
        "duration": "1800",
        "priority": "0",
        "preset": "",
        "preset_bucket": "",
        "preset_region": "*",
        "statements": json.dumps(statements),
        "max_object_size": "",
        "allowed_content_types": "",
        "allowed_networks": "",
    }
    values.update(overrides)
    return values


def test_it_refuses_a_second_policy_of_equal_priority_for_one_user_through_a_group(
    admin: AdminClient, account: CloudAccount, policy: AccessPolicy, alice: Any
) -> None:
    team = Group.objects.create(name="team")
    alice.groups.add(team)
    refused = admin.submit("/admin/signer/accesspolicy/add/", form(account, groups=[str(team.pk)]))
    assert "alice also has policy &#x27;read-write own prefix&#x27; at priority 0" in refused.text
    assert not AccessPolicy.objects.filter(name="second").exists()

    saved = admin.submit("/admin/signer/accesspolicy/add/", form(account, groups=[str(team.pk)], priority="5"))
    assert saved.status_code == 200
    assert AccessPolicy.objects.filter(name="second", priority=5).exists()


def test_it_warns_about_a_username_without_a_separator_when_saving(admin: AdminClient, account: CloudAccount) -> None:
    loose = [
        {
            "effect": "allow",
            "action": ["name/cos:GetObject"],
            "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{DEMO_BUCKET}/users/${{username}}*"],
        }
    ]
    saved = admin.submit("/admin/signer/accesspolicy/add/", form(account, statements=json.dumps(loose)))
    assert AccessPolicy.objects.filter(name="second").exists()  # a warning, not a refusal
    assert "is followed by &#x27;*&#x27;, not by &#x27;/&#x27;" in saved.text


def test_it_shows_a_users_effective_policies_and_rendered_document(
    admin: AdminClient, account: CloudAccount, policy: AccessPolicy, alice: Any
) -> None:
    team = Group.objects.create(name="uploaders")
    alice.groups.add(team)
    make_policy(account, name="team read", priority=-1, groups=[team])
    page = admin.get(f"/admin/auth/user/{alice.pk}/change/").text
    assert "<strong>read-write own prefix</strong> (default) · priority 0 · assigned directly" in page
    assert "<strong>team read</strong> · priority -1 · through groups: uploaders" in page
    assert f"{DEMO_BUCKET}/users/alice/*" in page  # rendered for alice, not the template
