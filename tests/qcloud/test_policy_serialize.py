"""Writing CAM policies back as JSON: a stable compact form, conditions merged exactly, and any valid policy round
trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcloud.policy import Condition, Policy, PolicyError, Statement, parse_policy
from tests.qcloud.policy_forms import RESOURCE, policy_with_condition

# ---------------------------------------------------------------------------------------------- serialization


def test_it_writes_compact_json_in_a_stable_order() -> None:
    policy = parse_policy(
        {
            "statement": [
                {
                    "resource": RESOURCE,
                    "condition": {"numeric_less_than_equal": {"cos:content-length": "5"}},
                    "action": "name/cos:PutObject",
                    "effect": "Allow",
                }
            ]
        }
    )
    assert policy.to_json() == (
        '{"version":"2.0","statement":[{"effect":"allow","action":["name/cos:PutObject"],'
        f'"resource":["{RESOURCE}"],"condition":{{"numeric_less_than_equal":{{"cos:content-length":5}}}}}}]}}'
    )


def test_it_round_trips_through_json() -> None:
    original = policy_with_condition(
        {
            "numeric_less_than_equal": {"cos:content-length": 5242880},
            "numeric_greater_than_equal": {"cos:content-length": "1.5"},
            "string_like": {"cos:content-type": ["image/*", "text/plain"]},
            "ip_equal": {"qcs:ip": ["10.0.0.0/8", "127.0.0.1"]},
        }
    )
    policy = parse_policy(original)
    assert parse_policy(policy.to_json()) == policy
    assert parse_policy(policy.to_dict()) == policy
    assert policy.to_dict()["statement"][0]["condition"] == original["statement"][0]["condition"]


def test_it_writes_two_conditions_on_one_key_as_one_that_means_both() -> None:
    # The signer adds its limits to an admin's own conditions; writing only one would silently widen the policy.
    statement = Statement(
        effect="allow",
        actions=("name/cos:PutObject",),
        resources=("*",),
        conditions=(
            Condition("numeric_less_than_equal", "cos:content-length", ("1000", "2000")),
            Condition("numeric_less_than_equal", "cos:content-length", ("1500",)),
            Condition("numeric_greater_than_equal", "cos:content-length", ("1",)),
            Condition("numeric_greater_than_equal", "cos:content-length", ("10", "5")),
            Condition("string_equal", "cos:content-type", ("image/png", "image/gif", "text/plain")),
            Condition("string_equal", "cos:content-type", ("image/gif", "image/png")),
            Condition("numeric_equal", "cos:content-length", ("5", "7")),
            Condition("numeric_equal", "cos:content-length", ("7.0",)),
            Condition("ip_equal", "qcs:ip", ("10.0.0.0/8", "192.168.0.0/16")),
            Condition("ip_equal", "qcs:ip", ("10.1.0.0/16", "172.16.0.0/12", "::1")),
            Condition("ip_not_equal", "qcs:ip", ("10.9.0.0/16",)),
            Condition("ip_not_equal", "qcs:ip", ("10.8.0.0/16", "10.9.0.0/16")),
            Condition("string_like", "cos:content-type", ("image/*",)),
            Condition("string_like", "cos:content-type", ("image/*",)),
        ),
    )
    assert Policy(statements=(statement,)).to_dict()["statement"][0]["condition"] == {
        "numeric_less_than_equal": {"cos:content-length": 1500},
        "numeric_greater_than_equal": {"cos:content-length": 5},
        "string_equal": {"cos:content-type": ["image/png", "image/gif"]},
        "numeric_equal": {"cos:content-length": 7},
        "ip_equal": {"qcs:ip": "10.1.0.0/16"},
        "ip_not_equal": {"qcs:ip": ["10.9.0.0/16", "10.8.0.0/16"]},
        "string_like": {"cos:content-type": "image/*"},
    }


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            Condition("string_like", "cos:content-type", ("image/*",)),
            Condition("string_like", "cos:content-type", ("*/png",)),
            "field 'condition': cannot combine two 'string_like' conditions on 'cos:content-type' "
            "(['image/*'] and ['*/png'])",
        ),
        (
            Condition("string_equal", "cos:content-type", ("image/png",)),
            Condition("string_equal", "cos:content-type", ("text/plain",)),
            "field 'condition': cannot combine two 'string_equal' conditions on 'cos:content-type' "
            "(['image/png'] and ['text/plain'])",
        ),
        (
            Condition("ip_equal", "qcs:ip", ("10.0.0.0/8",)),
            Condition("ip_equal", "qcs:ip", ("192.168.0.0/16",)),
            "field 'condition': cannot combine two 'ip_equal' conditions on 'qcs:ip' "
            "(['10.0.0.0/8'] and ['192.168.0.0/16'])",
        ),
    ],
)
def test_it_refuses_to_write_conditions_it_cannot_combine(first: Condition, second: Condition, message: str) -> None:
    policy = Policy(statements=(Statement("allow", ("*",), ("*",), (first, second)),))
    with pytest.raises(PolicyError) as caught:
        policy.to_json()
    assert str(caught.value) == message


# ------------------------------------------------------------------------------------------------ property: round trip

ACTIONS = st.sampled_from(["*", "name/cos:*", "name/cos:PutObject", "name/cos:Get*", "name/sts:AssumeRole"])
RESOURCES = st.sampled_from(["*", RESOURCE, "qcs::cos:*:uid/1250000000:*", "qcs::cam::uin/1:roleName/r"])
CONDITION_VALUES = {
    "numeric_less_than_equal": st.integers(min_value=0, max_value=10**12),
    "numeric_greater_than_equal": st.integers(min_value=0, max_value=10**12).map(str),
    "numeric_equal": st.integers(min_value=0, max_value=10**6),
    "string_equal": st.sampled_from(["image/png", "text/plain", "private"]),
    "string_like": st.sampled_from(["image/*", "*", "*/*+xml"]),
    "ip_equal": st.sampled_from(["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"]),
    "ip_not_equal": st.sampled_from(["192.168.0.0/16", "0.0.0.0/0"]),
}
KEY_FOR = {
    "numeric_less_than_equal": "cos:content-length",
    "numeric_greater_than_equal": "cos:content-length",
    "numeric_equal": "cos:content-length",
    "string_equal": "cos:content-type",
    "string_like": "cos:content-type",
    "ip_equal": "qcs:ip",
    "ip_not_equal": "qcs:ip",
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    operators = draw(st.lists(st.sampled_from(sorted(CONDITION_VALUES)), unique=True, max_size=3))
    block: dict[str, Any] = {}
    for operator in operators:
        values = draw(st.lists(CONDITION_VALUES[operator], min_size=1, max_size=3, unique=True))
        block[operator] = {KEY_FOR[operator]: values[0] if len(values) == 1 else values}
    return block


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    statements = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        statement: dict[str, Any] = {
            "effect": draw(st.sampled_from(["allow", "deny", "Allow", "DENY"])),
            "action": draw(st.one_of(ACTIONS, st.lists(ACTIONS, min_size=1, max_size=3))),
            "resource": draw(st.one_of(RESOURCES, st.lists(RESOURCES, min_size=1, max_size=3))),
        }
        block = draw(conditions())
        if block:
            statement["condition"] = block
        statements.append(statement)
    return {"version": "2.0", "statement": statements}


@given(policies())
def test_it_round_trips_any_valid_policy(data: dict[str, Any]) -> None:
    policy = parse_policy(data)
    text = policy.to_json()
    assert parse_policy(text) == policy
    assert parse_policy(text).to_json() == text
    assert json.loads(text) == policy.to_dict()
