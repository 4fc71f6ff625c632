"""Parsing CAM policies: every accepted form, and every malformed form with the exact message a user sees."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcloud.policy import Condition, Policy, PolicyError, Statement, parse_policy

RESOURCE = "qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/*"
OK = {"effect": "allow", "action": "name/cos:GetObject", "resource": RESOURCE}


def policy_with(**statement: Any) -> dict[str, Any]:
    return {"version": "2.0", "statement": [{**OK, **statement}]}


def policy_with_condition(condition: Any) -> dict[str, Any]:
    return policy_with(condition=condition)


def error_of(data: Any) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    return caught.value


# ---------------------------------------------------------------------------------------------------- accepted forms


def test_it_parses_a_full_policy() -> None:
    policy = parse_policy(
        {
            "version": "2.0",
            "statement": [
                {
                    "effect": "allow",
                    "action": ["name/cos:PutObject", "name/cos:GetObject"],
                    "resource": [RESOURCE],
                    "condition": {
                        "numeric_less_than_equal": {"cos:content-length": 5242880},
                        "string_like": {"cos:content-type": ["image/*", "video/mp4"]},
                    },
                },
                {"effect": "deny", "action": "*", "resource": "*"},
            ],
        }
    )
    assert policy == Policy(
        statements=(
            Statement(
                effect="allow",
                actions=("name/cos:PutObject", "name/cos:GetObject"),
                resources=(RESOURCE,),
                conditions=(
                    Condition("numeric_less_than_equal", "cos:content-length", ("5242880",)),
                    Condition("string_like", "cos:content-type", ("image/*", "video/mp4")),
                ),
            ),
            Statement(effect="deny", actions=("*",), resources=("*",), conditions=()),
        ),
        version="2.0",
    )


@pytest.mark.parametrize("data", [json.dumps(policy_with()), json.dumps(policy_with()).encode(), policy_with()])
def test_it_accepts_text_bytes_and_mappings(data: Any) -> None:
    assert parse_policy(data).statements[0].actions == ("name/cos:GetObject",)


def test_it_defaults_the_version() -> None:
    assert parse_policy({"statement": [OK]}).version == "2.0"


@pytest.mark.parametrize(("given", "effect"), [("allow", "allow"), ("Allow", "allow"), ("DENY", "deny")])
def test_it_reads_the_effect_case_insensitively(given: str, effect: str) -> None:
    assert parse_policy(policy_with(effect=given)).statements[0].effect == effect


def test_it_accepts_actions_and_resources_as_strings_or_lists() -> None:
    single = parse_policy(policy_with(action="name/cos:*", resource="*")).statements[0]
    listed = parse_policy(policy_with(action=["name/cos:*"], resource=["*"])).statements[0]
    assert single == listed
    assert single.actions == ("name/cos:*",)
    assert single.resources == ("*",)


@pytest.mark.parametrize(
    "action", ["*", "name/cos:*", "name/cos:PutObject", "name/cos:Get*", "name/sts:AssumeRole", "name/sts:*"]
)
def test_it_accepts_cos_and_sts_actions(action: str) -> None:
    assert parse_policy(policy_with(action=action)).statements[0].actions == (action,)


def test_it_accepts_role_resources() -> None:
    role = "qcs::cam::uin/100000000001:roleName/cos-demo"
    assert parse_policy(policy_with(action="name/sts:AssumeRole", resource=role)).statements[0].resources == (role,)


@pytest.mark.parametrize(
    ("condition", "parsed"),
    [
        (
            {"numeric_less_than_equal": {"cos:content-length": 10}},
            ("numeric_less_than_equal", "cos:content-length", ("10",)),
        ),
        (
            {"numeric_greater_than_equal": {"cos:content-length": "1"}},
            ("numeric_greater_than_equal", "cos:content-length", ("1",)),
        ),
        (
            {"numeric_equal": {"cos:content-length": [0, 5, "7"]}},
            ("numeric_equal", "cos:content-length", ("0", "5", "7")),
        ),
        ({"numeric_equal": {"cos:content-length": 2.5}}, ("numeric_equal", "cos:content-length", ("2.5",))),
        ({"string_equal": {"cos:content-type": "image/png"}}, ("string_equal", "cos:content-type", ("image/png",))),
        ({"string_like": {"cos:content-type": ["image/*"]}}, ("string_like", "cos:content-type", ("image/*",))),
        ({"ip_equal": {"qcs:ip": "10.0.0.0/8"}}, ("ip_equal", "qcs:ip", ("10.0.0.0/8",))),
        ({"ip_equal": {"qcs:ip": ["127.0.0.1", "::1"]}}, ("ip_equal", "qcs:ip", ("127.0.0.1", "::1"))),
        ({"ip_not_equal": {"qcs:ip": "2001:db8::/32"}}, ("ip_not_equal", "qcs:ip", ("2001:db8::/32",))),
        ({"ip_equal": {"qcs:ip": "192.168.1.7/24"}}, ("ip_equal", "qcs:ip", ("192.168.1.7/24",))),
        ({"string_equal": {"cos:x-cos-acl": "private"}}, ("string_equal", "cos:x-cos-acl", ("private",))),
    ],
)
def test_it_parses_every_condition_form(condition: dict[str, Any], parsed: tuple[str, str, tuple[str, ...]]) -> None:
    assert parse_policy(policy_with_condition(condition)).statements[0].conditions == (Condition(*parsed),)


def test_it_parses_several_operators_and_keys() -> None:
    condition = {
        "numeric_less_than_equal": {"cos:content-length": 100},
        "string_equal": {"cos:content-type": "text/plain", "cos:x-cos-acl": "private"},
    }
    assert parse_policy(policy_with_condition(condition)).statements[0].conditions == (
        Condition("numeric_less_than_equal", "cos:content-length", ("100",)),
        Condition("string_equal", "cos:content-type", ("text/plain",)),
        Condition("string_equal", "cos:x-cos-acl", ("private",)),
    )


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


# ------------------------------------------------------------------------------------------------- malformed forms


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("not json", "policy is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ("", "policy is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ('{"statement": [', "policy is not valid JSON: Expecting value: line 1 column 16 (char 15)"),
        ("[]", "policy must be a JSON object, got list"),
        ('"allow"', "policy must be a JSON object, got string"),
        ("null", "policy must be a JSON object, got null"),
        ({"statement": [OK], "Version": "2.0"}, "unknown field 'Version' (allowed: version, statement)"),
        ({"statement": [OK], "principal": {"qcs": ["*"]}}, "unknown field 'principal' (allowed: version, statement)"),
        ({"version": "1.0", "statement": [OK]}, "field 'version': must be '2.0', got '1.0'"),
        ({"version": 2.0, "statement": [OK]}, "field 'version': must be '2.0', got number 2.0"),
        ({"version": None, "statement": [OK]}, "field 'version': must be '2.0', got null"),
        ({"version": "2.0"}, "field 'statement': is required"),
        ({"statement": OK}, "field 'statement': must be a list of statements, got object"),
        ({"statement": "allow"}, "field 'statement': must be a list of statements, got string"),
        ({"statement": []}, "field 'statement': must contain at least one statement"),
        (
            '{"statement": [{"effect": "allow", "effect": "deny", "action": "*", "resource": "*"}]}',
            "field 'effect' appears twice in one object",
        ),
    ],
)
def test_it_explains_a_malformed_policy(data: Any, message: str) -> None:
    error = error_of(data)
    assert str(error) == message
    assert error.statement is None


def test_it_explains_bytes_that_are_not_utf8() -> None:
    assert str(error_of(b'{"statement": "\xff"}')).startswith("policy is not valid JSON: ")


@pytest.mark.parametrize(
    ("statement", "field", "message"),
    [
        ("allow", None, "statement 1: must be an object, got string"),
        (["allow"], None, "statement 1: must be an object, got list"),
        (
            {**OK, "Effect": "allow"},
            None,
            "statement 1: unknown field 'Effect' (allowed: effect, action, resource, condition)",
        ),
        (
            {**OK, "principal": {"qcs": ["*"]}},
            None,
            "statement 1: unknown field 'principal' (allowed: effect, action, resource, condition)",
        ),
        ({"action": "*", "resource": "*"}, "effect", "statement 1, field 'effect': is required"),
        ({"effect": "allow", "resource": "*"}, "action", "statement 1, field 'action': is required"),
        ({"effect": "allow", "action": "*"}, "resource", "statement 1, field 'resource': is required"),
        ({**OK, "effect": "alow"}, "effect", "statement 1, field 'effect': must be 'allow' or 'deny', got 'alow'"),
        ({**OK, "effect": ""}, "effect", "statement 1, field 'effect': must be 'allow' or 'deny', got ''"),
        ({**OK, "effect": True}, "effect", "statement 1, field 'effect': must be 'allow' or 'deny', got boolean true"),
        ({**OK, "effect": None}, "effect", "statement 1, field 'effect': must be 'allow' or 'deny', got null"),
        (
            {**OK, "effect": ["allow"]},
            "effect",
            "statement 1, field 'effect': must be 'allow' or 'deny', got list [\"allow\"]",
        ),
        (
            {**OK, "action": 5},
            "action",
            "statement 1, field 'action': must be a string or a list of strings, got number",
        ),
        (
            {**OK, "action": {"name/cos:GetObject": True}},
            "action",
            "statement 1, field 'action': must be a string or a list of strings, got object",
        ),
        ({**OK, "action": []}, "action", "statement 1, field 'action': must not be an empty list"),
        ({**OK, "action": ""}, "action", "statement 1, field 'action': entries must not be empty strings"),
        (
            {**OK, "action": ["name/cos:GetObject", 5]},
            "action",
            "statement 1, field 'action': entries must be strings, got number 5",
        ),
        (
            {**OK, "action": ["name/cos:GetObject", None]},
            "action",
            "statement 1, field 'action': entries must be strings, got null",
        ),
        (
            {**OK, "action": [["name/cos:GetObject"]]},
            "action",
            "statement 1, field 'action': entries must be strings, got list [\"name/cos:GetObject\"]",
        ),
        (
            {**OK, "action": "cos:GetObject"},
            "action",
            "statement 1, field 'action': must be '*', 'name/cos:<Operation>' or 'name/sts:<Operation>', "
            "got 'cos:GetObject'",
        ),
        (
            {**OK, "action": "name/cam:*"},
            "action",
            "statement 1, field 'action': must be '*', 'name/cos:<Operation>' or 'name/sts:<Operation>', "
            "got 'name/cam:*'",
        ),
        (
            {**OK, "action": "name/cos:"},
            "action",
            "statement 1, field 'action': must be '*', 'name/cos:<Operation>' or 'name/sts:<Operation>', "
            "got 'name/cos:'",
        ),
        (
            {**OK, "action": "name/cos:Get Object"},
            "action",
            "statement 1, field 'action': must be '*', 'name/cos:<Operation>' or 'name/sts:<Operation>', "
            "got 'name/cos:Get Object'",
        ),
        ({**OK, "resource": []}, "resource", "statement 1, field 'resource': must not be an empty list"),
        (
            {**OK, "resource": None},
            "resource",
            "statement 1, field 'resource': must be a string or a list of strings, got null",
        ),
        (
            {**OK, "resource": [RESOURCE, 1]},
            "resource",
            "statement 1, field 'resource': entries must be strings, got number 1",
        ),
        (
            {**OK, "resource": "photos-1250000000/*"},
            "resource",
            "statement 1, field 'resource': must be '*' or a resource name starting with 'qcs::', "
            "got 'photos-1250000000/*'",
        ),
    ],
)
def test_it_explains_a_malformed_statement(statement: Any, field: str | None, message: str) -> None:
    error = error_of({"statement": [statement]})
    assert str(error) == message
    assert error.statement == 0
    assert error.field == field


def test_it_names_the_statement_that_is_wrong() -> None:
    error = error_of({"statement": [OK, {**OK, "effect": "alow"}, OK]})
    assert str(error) == "statement 2, field 'effect': must be 'allow' or 'deny', got 'alow'"
    assert (error.statement, error.field) == (1, "effect")
    assert error.message == "must be 'allow' or 'deny', got 'alow'"


def test_it_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="statement 1"):
        parse_policy({"statement": [{**OK, "effect": "maybe"}]})


NUMERIC_OPERATORS = "numeric_less_than_equal, numeric_greater_than_equal, numeric_equal"
OPERATORS = (
    "numeric_less_than_equal, numeric_greater_than_equal, numeric_equal, string_equal, string_like, "
    "ip_equal, ip_not_equal"
)
KEYS = "cos:content-length, cos:content-type, qcs:ip, cos:x-cos-acl"
LENGTH_LE = "operator 'numeric_less_than_equal', key 'cos:content-length'"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (["numeric_less_than_equal"], "must be an object {operator: {key: value}}, got list"),
        ("numeric_less_than_equal", "must be an object {operator: {key: value}}, got string"),
        (None, "must be an object {operator: {key: value}}, got null"),
        ({}, "must not be empty"),
        (
            {"numeric_less_than": {"cos:content-length": 5}},
            f"unknown operator 'numeric_less_than' (allowed: {OPERATORS})",
        ),
        ({"StringEquals": {"cos:content-type": "a/b"}}, f"unknown operator 'StringEquals' (allowed: {OPERATORS})"),
        (
            {"string_equal": "image/png"},
            "operator 'string_equal': must be an object {key: value}, got string",
        ),
        (
            {"string_equal": ["cos:content-type", "image/png"]},
            "operator 'string_equal': must be an object {key: value}, got list",
        ),
        ({"string_equal": {}}, "operator 'string_equal': must name at least one key"),
        (
            {"string_equal": {"cos:content-md5": "x"}},
            f"operator 'string_equal', key 'cos:content-md5': unknown key (allowed: {KEYS})",
        ),
        (
            {"string_equal": {"cos:Content-Type": "image/png"}},
            f"operator 'string_equal', key 'cos:Content-Type': unknown key (allowed: {KEYS})",
        ),
        (
            {"string_like": {"cos:content-length": "5"}},
            "operator 'string_like', key 'cos:content-length': operator not valid for this key "
            f"(allowed: {NUMERIC_OPERATORS})",
        ),
        (
            {"numeric_equal": {"cos:content-type": 5}},
            "operator 'numeric_equal', key 'cos:content-type': operator not valid for this key "
            "(allowed: string_equal, string_like)",
        ),
        (
            {"string_like": {"cos:x-cos-acl": "public-*"}},
            "operator 'string_like', key 'cos:x-cos-acl': operator not valid for this key (allowed: string_equal)",
        ),
        (
            {"string_equal": {"qcs:ip": "127.0.0.1"}},
            "operator 'string_equal', key 'qcs:ip': operator not valid for this key (allowed: ip_equal, ip_not_equal)",
        ),
        (
            {"ip_equal": {"cos:content-type": "10.0.0.0/8"}},
            "operator 'ip_equal', key 'cos:content-type': operator not valid for this key "
            "(allowed: string_equal, string_like)",
        ),
        ({"numeric_less_than_equal": {"cos:content-length": []}}, f"{LENGTH_LE}: must not be an empty list"),
        (
            {"numeric_less_than_equal": {"cos:content-length": "5MB"}},
            f"{LENGTH_LE}: value must be a number, got '5MB'",
        ),
        ({"numeric_less_than_equal": {"cos:content-length": ""}}, f"{LENGTH_LE}: value must be a number, got ''"),
        (
            {"numeric_less_than_equal": {"cos:content-length": True}},
            f"{LENGTH_LE}: value must be a number, got boolean true",
        ),
        (
            {"numeric_less_than_equal": {"cos:content-length": None}},
            f"{LENGTH_LE}: value must be a number, got null",
        ),
        (
            {"numeric_less_than_equal": {"cos:content-length": {"max": 5}}},
            f'{LENGTH_LE}: value must be a number, got object {{"max": 5}}',
        ),
        (
            {"numeric_less_than_equal": {"cos:content-length": [5, [6]]}},
            f"{LENGTH_LE}: value must be a number, got list [6]",
        ),
        (
            {"numeric_less_than_equal": {"cos:content-length": "Infinity"}},
            f"{LENGTH_LE}: value must be a number, got 'Infinity'",
        ),
        (
            {"numeric_less_than_equal": {"cos:content-length": float("nan")}},
            f"{LENGTH_LE}: value must be a number, got number NaN",
        ),
        (
            {"string_equal": {"cos:content-type": 5}},
            "operator 'string_equal', key 'cos:content-type': value must be a string, got number 5",
        ),
        (
            {"string_like": {"cos:content-type": ["image/*", None]}},
            "operator 'string_like', key 'cos:content-type': value must be a string, got null",
        ),
        (
            {"string_like": {"cos:content-type": ""}},
            "operator 'string_like', key 'cos:content-type': value must not be an empty string",
        ),
        (
            {"string_equal": {"cos:x-cos-acl": []}},
            "operator 'string_equal', key 'cos:x-cos-acl': must not be an empty list",
        ),
        (
            {"ip_equal": {"qcs:ip": "10.0.0.0/33"}},
            "operator 'ip_equal', key 'qcs:ip': value must be an IP address or CIDR network, got '10.0.0.0/33'",
        ),
        (
            {"ip_not_equal": {"qcs:ip": ["10.0.0.0/8", "office"]}},
            "operator 'ip_not_equal', key 'qcs:ip': value must be an IP address or CIDR network, got 'office'",
        ),
        (
            {"ip_equal": {"qcs:ip": "256.1.1.1"}},
            "operator 'ip_equal', key 'qcs:ip': value must be an IP address or CIDR network, got '256.1.1.1'",
        ),
        (
            {"ip_equal": {"qcs:ip": ""}},
            "operator 'ip_equal', key 'qcs:ip': value must be an IP address or CIDR network, got ''",
        ),
        (
            {"ip_equal": {"qcs:ip": 2130706433}},
            "operator 'ip_equal', key 'qcs:ip': value must be a string, got number 2130706433",
        ),
    ],
)
def test_it_explains_every_malformed_condition(condition: Any, message: str) -> None:
    error = error_of({"statement": [OK, {**OK, "condition": condition}]})
    assert str(error) == f"statement 2, field 'condition': {message}"
    assert (error.statement, error.field) == (1, "condition")


def test_it_reports_the_first_problem_of_several_conditions() -> None:
    condition = {
        "numeric_less_than_equal": {"cos:content-length": 10},
        "string_like": {"cos:content-type": "image/*", "cos:content-md5": "x"},
    }
    assert str(error_of(policy_with_condition(condition))) == (
        f"statement 1, field 'condition': operator 'string_like', key 'cos:content-md5': unknown key (allowed: {KEYS})"
    )


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


def test_it_accepts_tuples_from_python_callers() -> None:
    built = parse_policy({"statement": ({**OK, "action": ("name/cos:GetObject",), "resource": (RESOURCE,)},)})
    assert built == parse_policy({"statement": [OK]})


def test_it_keeps_the_details_of_an_error_when_copied() -> None:
    # deepcopy rebuilds exceptions the way pickle does (through __reduce__), e.g. when a cache or a worker copies one.
    error = error_of({"statement": [OK, {**OK, "effect": "alow"}]})
    copied = copy.deepcopy(error)
    assert (str(copied), copied.message, copied.statement, copied.field) == (str(error), error.message, 1, "effect")
