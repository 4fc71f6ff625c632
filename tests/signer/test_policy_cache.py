"""The per-user policy cache: a hit costs no query, and every change that matters is seen by the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from signer import audit, policy_cache, selectors, services
from signer.errors import AccountInactive, NoPolicy
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from signer.scopes import Scope
from tests.factories import make_policy, make_user
from tests.signer.conftest import Api


def test_it_resolves_a_users_policy_from_the_cache_without_a_query(
    alice: Any, policy: AccessPolicy, django_assert_num_queries: Any
) -> None:
    assert selectors.policy_for_user(alice) == policy
    with django_assert_num_queries(0):
        cached = selectors.policy_for_user(alice)
    assert cached == policy
    assert cached.account.appid == policy.account.appid


def test_it_sees_a_policy_edit_on_the_next_request(alice: Any, policy: AccessPolicy) -> None:
    first = services.credentials_issue(user=alice)
    assert first.bucket_hint is not None
    policy.statements = [{"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]}]
    policy.save()

    second = services.credentials_issue(user=alice)

    assert second.bucket_hint is None
    assert second.tmp_secret_id != first.tmp_secret_id
    audit.drain()
    digests = list(IssuedCredential.objects.filter(username="alice").values_list("scope_digest", flat=True))
    assert len(set(digests)) == 2


def test_it_sees_a_removed_assignment_and_a_deleted_policy(alice: Any, bob: Any, policy: AccessPolicy) -> None:
    assert selectors.policy_for_user(alice) == policy
    assert selectors.policy_for_user(bob) == policy

    policy.users.remove(alice)
    with pytest.raises(NoPolicy):
        selectors.policy_for_user(alice)
    assert selectors.policy_for_user(bob) == policy

    policy.delete()
    with pytest.raises(NoPolicy):
        selectors.policy_for_user(bob)


def test_it_sees_group_membership_and_group_assignment_changes(account: CloudAccount, bucket: str) -> None:
    charlie = make_user("charlie")
    group = Group.objects.create(name="uploaders")
    high = make_policy(account, name="high", bucket=bucket, priority=10)
    with pytest.raises(NoPolicy):
        selectors.policy_for_user(charlie)

    high.groups.add(group)
    with pytest.raises(NoPolicy):
        selectors.policy_for_user(charlie)  # charlie is not in the group yet
    charlie.groups.add(group)  # type: ignore[attr-defined]
    assert selectors.policy_for_user(charlie) == high

    low = make_policy(account, name="low", bucket=bucket, priority=1, users=[charlie])
    assert [p.name for p in selectors.policies_for_user(charlie)] == ["high", "low"]
    high.groups.remove(group)
    assert selectors.policy_for_user(charlie) == low
    high.groups.add(group)
    assert selectors.policy_for_user(charlie) == high
    group.delete()
    assert selectors.policy_for_user(charlie) == low


def test_it_sees_a_disabled_account_on_the_next_request(alice: Any, account: CloudAccount) -> None:
    services.credentials_issue(user=alice)
    account.is_active = False
    account.save()
    with pytest.raises(AccountInactive):
        services.credentials_issue(user=alice)


def test_it_sees_a_policy_edit_made_in_the_admin_on_the_next_sign(
    api: Api, alice_token: str, policy: AccessPolicy
) -> None:
    assert api.get("/sign", token=alice_token).status_code == 200
    policy.users.clear()
    response = api.get("/sign", token=alice_token)
    assert response.status_code == 403
    assert response.json()["codeDesc"] == "NoPolicy"


def test_it_ignores_an_entry_cached_under_an_older_version(alice: Any, policy: AccessPolicy) -> None:
    """A stale entry (written before a bump, e.g. by a request that read the rows while they changed) is never used."""
    other = make_policy(policy.account, name="other", priority=5)
    selectors.policy_for_user(alice)  # cached: `policy` (alice is not on `other` yet)
    other.users.through.objects.create(accesspolicy=other, user=alice)  # no m2m_changed signal
    assert selectors.policy_for_user(alice) == policy  # the cache still answers, as designed
    policy_cache.policy_cache_bump()
    assert selectors.policy_for_user(alice) == other


def test_it_writes_exactly_one_audit_row_per_delivery(alice: Any, policy: AccessPolicy) -> None:
    issued = [services.credentials_issue(user=alice, client_ip="203.0.113.9", user_agent="ua") for _ in range(3)]
    audit.drain()
    rows = list(IssuedCredential.objects.filter(username="alice").order_by("pk"))
    assert len(rows) == 3
    assert [r.served_from_cache for r in rows] == [False, True, True]
    for row, credentials in zip(rows, issued, strict=True):
        assert row.user_id == alice.pk
        assert row.policy_id == policy.pk
        assert row.account_id == policy.account_id
        assert row.policy_name == policy.name
        assert row.tmp_secret_id == credentials.tmp_secret_id
        assert row.client_ip == "203.0.113.9"
        assert row.user_agent == "ua"
        assert row.scopes == []
        assert int(row.expired_time.timestamp()) == credentials.expired_time
        assert row.created is not None


def test_it_audits_a_scoped_delivery_with_its_scopes(alice: Any, policy: AccessPolicy, bucket: str) -> None:
    scope = Scope(
        action="name/cos:PutObject", bucket=bucket, region=policy.account.default_region, prefix="users/alice/a.txt"
    )
    services.credentials_issue(user=alice, scopes=[scope])
    audit.drain()
    row = IssuedCredential.objects.get(username="alice")
    assert row.scoped is True
    assert row.scopes == [
        {"action": "name/cos:PutObject", "bucket": bucket, "region": scope.region, "prefix": "users/alice/a.txt"}
    ]
    assert row.client_ip is None
