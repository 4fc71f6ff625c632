"""Parsing CAM policy conditions: every malformed condition block, with the exact message a user sees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.qcloud.policy_forms import OK, error_of, policy_with_condition

NUMERIC_OPERATORS = "numeric_less_than_equal, numeric_greater_than_equal, numeric_equal"
OPERATORS = (
    "numeric_less_than_equal, numeric_greater_than_equal, numeric_equal, string_equal, string_like, "
    "ip_equal, ip_not_equal"
)
KEYS = "cos:content-length, cos:content-type, qcs:ip, cos:x-cos-acl, cos:x-cos-forbid-overwrite"
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
