"""Parsing CAM policies: every accepted form, and every malformed policy or statement with the exact message a user
sees (malformed conditions: test_policy_parse_conditions.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from qcloud.policy import Condition, Policy, Statement, parse_policy
from tests.qcloud.policy_forms import OK, RESOURCE, error_of, policy_with, policy_with_condition

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


def test_it_accepts_tuples_from_python_callers() -> None:
    built = parse_policy({"statement": ({**OK, "action": ("name/cos:GetObject",), "resource": (RESOURCE,)},)})
    assert built == parse_policy({"statement": [OK]})


def test_it_keeps_the_details_of_an_error_when_copied() -> None:
    # deepcopy rebuilds exceptions the way pickle does (through __reduce__), e.g. when a cache or a worker copies one.
    error = error_of({"statement": [OK, {**OK, "effect": "alow"}]})
    copied = copy.deepcopy(error)
    assert (str(copied), copied.message, copied.statement, copied.field) == (str(error), error.message, 1, "effect")
