"""The admin's policy simulator names what decided: the deciding statement (number, effect, actions, resources) and,
for a deny by condition, each condition with the policy's value and the request's, in the reader's language."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.factories import APPID, DEMO_BUCKET, PASSWORD, make_account, make_policy, make_user
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api

MiB = 1024 * 1024
SIMULATE = "/admin/signer/accesspolicy/simulate/"
OWN = f"qcs::cos:ap-guangzhou:uid/{APPID}:{DEMO_BUCKET}/users/alice/*"


@pytest.fixture
def admin(api: Api, transactional_db: None) -> AdminClient:
    make_user("admin", is_superuser=True)
    return AdminClient(api.base, "admin", PASSWORD)


def result_of(admin: AdminClient, language: str = "en", **query: Any) -> str:
    page = admin.get(SIMULATE, params=query, headers={"Accept-Language": language})
    assert page.status_code == 200
    # The result block, tags dropped, whitespace folded: what a person reads.
    block = page.text.split('id="simulator-result"', 1)[1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", block)))


def put(user: Any, **extra: Any) -> dict[str, Any]:
    return {
        "user": user.pk,
        "action": "name/cos:PutObject",
        "region": "ap-guangzhou",
        "bucket": DEMO_BUCKET,
        "key": "users/alice/cat.jpg",
        **extra,
    }


def test_it_names_the_condition_that_refused_and_the_requests_value(admin: AdminClient, cloud: Any) -> None:
    limited = make_policy(
        make_account(cloud),
        name="limited",
        preset="upload to own prefix",
        max_object_size=10 * MiB,
        allowed_content_types="image/*",
        allowed_networks="10.0.0.0/8",
    )
    alice = make_user("alice", policy=limited)
    fine = {"content_length": 2 * MiB, "content_type": "image/jpeg", "ip": "10.1.2.3"}

    allowed = result_of(admin, **put(alice, **fine))
    assert "Allowed" in allowed
    match = re.search(r"is allowed by statement (\d+)\.", allowed)
    assert match, allowed
    number = match.group(1)
    assert f"Deciding statement: {number}" in allowed
    assert "Effect allow Actions name/cos:PutObject" in allowed
    assert OWN in allowed
    assert "cos:content-length 2 MiB ≤ numeric_less_than_equal 10 MiB (holds)" in allowed

    too_big = result_of(admin, **put(alice, **{**fine, "content_length": 20 * MiB}))
    assert "Denied" in too_big
    assert f"name/cos:PutObject is denied: statement {number} would allow it, but not all of its conditions hold." in (
        too_big
    )
    assert f"Closest statement: {number}, whose conditions did not all hold" in too_big
    assert "cos:content-length 20 MiB > numeric_less_than_equal 10 MiB" in too_big
    assert "cos:content-type image/jpeg ∈ string_like image/* (holds)" in too_big  # the others held

    odd_size = result_of(admin, **put(alice, **{**fine, "content_length": 10 * MiB + 1}))
    assert "cos:content-length 10 MiB (10485761 bytes) > numeric_less_than_equal 10 MiB" in odd_size

    wrong_type = result_of(admin, **put(alice, **{**fine, "content_type": "text/plain"}))
    assert "cos:content-type text/plain ∉ string_like image/*" in wrong_type

    elsewhere = result_of(admin, **put(alice, **{**fine, "ip": "203.0.113.7"}))
    assert "qcs:ip 203.0.113.7 ∉ ip_equal 10.0.0.0/8" in elsewhere

    unsaid = result_of(admin, **put(alice))
    assert "cos:content-length (not given) ? numeric_less_than_equal 10 MiB (not given)" in unsaid
    assert "A condition needs the request's size, content type, client IP" in unsaid


def test_it_names_the_statement_that_denies_explicitly(admin: AdminClient, cloud: Any) -> None:
    statements = [
        {"effect": "allow", "action": ["name/cos:*"], "resource": [OWN]},
        {"effect": "deny", "action": ["name/cos:DeleteObject"], "resource": [OWN.replace("*", "keep/*")]},
    ]
    alice = make_user("alice", policy=make_policy(make_account(cloud), name="keeper", statements=statements))
    query = {**put(alice), "action": "name/cos:DeleteObject", "key": "users/alice/keep/a.txt"}
    denied = result_of(admin, **query)
    assert "name/cos:DeleteObject is explicitly denied by statement 2." in denied
    assert "Deciding statement: 2" in denied
    assert f"Effect deny Actions name/cos:DeleteObject Resources {OWN.replace('*', 'keep/*')}" in denied
    # Both statements matched the action and resource: the trace lists them, the allow applying too.
    trace = denied.split("Statements matching the action and resource", 1)[1]
    assert "1 allow none yes" in trace
    assert "2 deny none yes" in trace


def test_it_names_an_overwrite_the_policy_forbids(admin: AdminClient, cloud: Any) -> None:
    keeper = make_policy(make_account(cloud), name="keeper", preset="upload to own prefix", forbid_overwrite=True)
    alice = make_user("alice", policy=keeper)
    sent_false = result_of(admin, **put(alice, forbid_overwrite="false"))
    assert "Denied" in sent_false
    assert "cos:x-cos-forbid-overwrite false ∉ string_equal true" in sent_false
    assert "Allowed" in result_of(admin, **put(alice, forbid_overwrite="true"))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["拒绝", "最接近的语句", "cos:content-length 20 MiB > numeric_less_than_equal 10 MiB"]),
        ("ja", ["拒否", "最も近いステートメント", "cos:content-length 20 MiB > numeric_less_than_equal 10 MiB"]),
    ],
)
def test_it_explains_in_the_readers_language(admin: AdminClient, cloud: Any, language: str, words: list[str]) -> None:
    limited = make_policy(make_account(cloud), name="limited", preset="upload to own prefix", max_object_size=10 * MiB)
    alice = make_user("alice", policy=limited)
    result = result_of(admin, language, **put(alice, content_length=20 * MiB))
    for word in words:
        assert word in result, result
