"""Policy conditions: size, content type, client network and ACL limits, with the request context."""

from __future__ import annotations

from typing import Any

import pytest

from qcloud.policy import Decision, RequestContext, evaluate, parse_policy

OBJECT = "qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/a.jpg"
PUT = "name/cos:PutObject"
MIB = 1024 * 1024


def allowing(condition: dict[str, Any]) -> Any:
    return parse_policy({"statement": [{"effect": "allow", "action": PUT, "resource": "*", "condition": condition}]})


def allowed(condition: dict[str, Any], **context: Any) -> bool:
    return evaluate(allowing(condition), PUT, OBJECT, RequestContext(**context)).allowed


@pytest.mark.parametrize(
    ("operator", "limit", "size", "holds"),
    [
        ("numeric_less_than_equal", 5 * MIB, 4 * MIB, True),
        ("numeric_less_than_equal", 5 * MIB, 5 * MIB, True),
        ("numeric_less_than_equal", 5 * MIB, 5 * MIB + 1, False),
        ("numeric_less_than_equal", 5 * MIB, 6 * MIB, False),
        ("numeric_less_than_equal", 5 * MIB, 0, True),
        ("numeric_greater_than_equal", 1, 0, False),
        ("numeric_greater_than_equal", 1, 1, True),
        ("numeric_greater_than_equal", 1, 10**12, True),
        ("numeric_equal", 100, 100, True),
        ("numeric_equal", 100, 101, False),
        ("numeric_equal", "1e2", 100, True),
        ("numeric_less_than_equal", "10.5", 10, True),
        ("numeric_less_than_equal", "10.5", 11, False),
    ],
)
def test_it_compares_the_content_length(operator: str, limit: Any, size: int, holds: bool) -> None:
    assert allowed({operator: {"cos:content-length": limit}}, content_length=size) is holds


@pytest.mark.parametrize(
    ("condition", "content_type", "holds"),
    [
        ({"string_equal": {"cos:content-type": "image/png"}}, "image/png", True),
        ({"string_equal": {"cos:content-type": "image/png"}}, "image/jpeg", False),
        ({"string_equal": {"cos:content-type": "image/png"}}, "image/png; charset=x", False),
        ({"string_equal": {"cos:content-type": "image/png"}}, "IMAGE/PNG", False),
        ({"string_like": {"cos:content-type": "image/*"}}, "image/png", True),
        ({"string_like": {"cos:content-type": "image/*"}}, "image/", True),
        ({"string_like": {"cos:content-type": "image/*"}}, "text/plain", False),
        ({"string_like": {"cos:content-type": "image/*"}}, "text/image/png", False),
        ({"string_like": {"cos:content-type": "*/*+xml"}}, "image/svg+xml", True),
        ({"string_like": {"cos:content-type": "*"}}, "anything/at-all", True),
        ({"string_like": {"cos:content-type": "image/?"}}, "image/x", False),  # `?` is literal
        ({"string_like": {"cos:content-type": "text/plain"}}, "text/plain", True),
    ],
)
def test_it_compares_the_content_type(condition: dict[str, Any], content_type: str, holds: bool) -> None:
    assert allowed(condition, content_type=content_type) is holds


def test_it_compares_the_acl() -> None:
    condition = {"string_equal": {"cos:x-cos-acl": ["private", "default"]}}
    assert allowed(condition, acl="private")
    assert allowed(condition, acl="default")
    assert not allowed(condition, acl="public-read")


@pytest.mark.parametrize(
    ("networks", "ip", "inside"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("127.0.0.0/8", "127.9.9.9", True),
        ("10.0.0.0/8", "127.0.0.1", False),
        ("192.168.1.7/24", "192.168.1.200", True),  # host bits are ignored, like CAM does
        (["10.0.0.0/8", "192.168.0.0/16"], "192.168.3.4", True),
        (["10.0.0.0/8", "192.168.0.0/16"], "172.16.0.1", False),
        ("::1", "::1", True),
        ("2001:db8::/32", "2001:db8:1::5", True),
        ("2001:db8::/32", "2001:db9::5", False),
        ("127.0.0.0/8", "::ffff:127.0.0.1", True),  # an IPv4 client seen through a dual-stack socket
        ("127.0.0.0/8", "::1", False),
        ("::/0", "10.0.0.1", False),  # address families never match each other
        ("0.0.0.0/0", "203.0.113.9", True),
    ],
)
def test_it_checks_the_client_network(networks: Any, ip: str, inside: bool) -> None:
    assert allowed({"ip_equal": {"qcs:ip": networks}}, ip=ip) is inside
    assert allowed({"ip_not_equal": {"qcs:ip": networks}}, ip=ip) is not inside


def test_it_treats_an_unreadable_client_address_as_not_matching() -> None:
    assert not allowed({"ip_equal": {"qcs:ip": "0.0.0.0/0"}}, ip="not-an-ip")
    assert not allowed({"ip_not_equal": {"qcs:ip": "10.0.0.0/8"}}, ip="not-an-ip")


def test_it_requires_the_client_to_be_outside_every_ip_not_equal_network() -> None:
    # Several networks on ip_not_equal mean "none of these" (not "outside at least one", which always holds).
    condition = {"ip_not_equal": {"qcs:ip": ["10.0.0.0/8", "192.168.0.0/16"]}}
    assert allowed(condition, ip="172.16.0.1")
    assert not allowed(condition, ip="10.1.2.3")
    assert not allowed(condition, ip="192.168.1.1")


def test_it_reads_several_values_as_or() -> None:
    condition = {"string_equal": {"cos:content-type": ["image/png", "image/gif"]}}
    assert allowed(condition, content_type="image/png")
    assert allowed(condition, content_type="image/gif")
    assert not allowed(condition, content_type="image/jpeg")
    sizes = {"numeric_equal": {"cos:content-length": [1, 3]}}
    assert allowed(sizes, content_length=3)
    assert not allowed(sizes, content_length=2)


def test_it_reads_several_keys_and_operators_as_and() -> None:
    condition = {
        "numeric_less_than_equal": {"cos:content-length": 5 * MIB},
        "numeric_greater_than_equal": {"cos:content-length": 1},
        "string_like": {"cos:content-type": "image/*"},
        "ip_equal": {"qcs:ip": "127.0.0.0/8"},
    }
    good = {"content_length": 4 * MIB, "content_type": "image/png", "ip": "127.0.0.1"}
    assert allowed(condition, **good)
    assert not allowed(condition, **{**good, "content_length": 6 * MIB})
    assert not allowed(condition, **{**good, "content_length": 0})
    assert not allowed(condition, **{**good, "content_type": "text/plain"})
    assert not allowed(condition, **{**good, "ip": "10.0.0.1"})


def test_it_does_not_allow_when_the_context_lacks_a_key_and_says_which() -> None:
    policy = allowing({"numeric_less_than_equal": {"cos:content-length": 5}, "string_like": {"cos:content-type": "*"}})
    decision = evaluate(policy, PUT, OBJECT, RequestContext(content_type="image/png"))
    assert decision == Decision(
        allowed=False,
        statement=None,
        effect=None,
        reason=f"no statement allows {PUT} on {OBJECT} with this request context (conditions need cos:content-length)",
        missing_context=("cos:content-length",),
    )
    nothing = evaluate(policy, PUT, OBJECT)
    assert nothing.missing_context == ("cos:content-length", "cos:content-type")
    assert evaluate(policy, PUT, OBJECT, RequestContext(content_length=5, content_type="x/y")).allowed


def test_it_does_not_ask_for_context_that_cannot_change_the_answer() -> None:
    policy = allowing({"numeric_less_than_equal": {"cos:content-length": 5}, "string_like": {"cos:content-type": "*"}})
    decision = evaluate(policy, PUT, OBJECT, RequestContext(content_length=6))
    assert not decision.allowed
    assert decision.missing_context == ()


def test_it_does_not_ask_for_context_statements_that_do_not_match_need() -> None:
    policy = allowing({"numeric_less_than_equal": {"cos:content-length": 5}})
    assert evaluate(policy, "name/cos:GetObject", OBJECT).missing_context == ()


def test_it_lets_a_conditional_deny_win_when_its_conditions_hold() -> None:
    policy = parse_policy(
        {
            "statement": [
                {"effect": "allow", "action": "name/cos:*", "resource": "*"},
                {
                    "effect": "deny",
                    "action": PUT,
                    "resource": "*",
                    "condition": {"numeric_greater_than_equal": {"cos:content-length": 10 * MIB}},
                },
            ]
        }
    )
    big = evaluate(policy, PUT, OBJECT, RequestContext(content_length=10 * MIB))
    assert (big.allowed, big.statement, big.effect) == (False, 1, "deny")
    small = evaluate(policy, PUT, OBJECT, RequestContext(content_length=MIB))
    assert (small.allowed, small.statement, small.effect) == (True, 0, "allow")
    # A deny whose condition cannot be evaluated does not apply, but the simulator is told what it needs.
    unknown = evaluate(policy, PUT, OBJECT)
    assert (unknown.allowed, unknown.statement) == (True, 0)
    assert unknown.missing_context == ("cos:content-length",)


def test_it_denies_every_request_from_outside_an_allowed_network() -> None:
    policy = parse_policy(
        {
            "statement": [
                {"effect": "allow", "action": "*", "resource": "*", "condition": {"ip_equal": {"qcs:ip": "10.0.0.0/8"}}}
            ]
        }
    )
    for action in ("name/cos:GetObject", "name/cos:PutObject", "name/cos:GetService"):
        assert not evaluate(policy, action, OBJECT, RequestContext(ip="127.0.0.1")).allowed
        assert evaluate(policy, action, OBJECT, RequestContext(ip="10.1.1.1")).allowed


def test_it_treats_conditions_as_part_of_the_statement_they_are_in() -> None:
    policy = parse_policy(
        {
            "statement": [
                {
                    "effect": "allow",
                    "action": PUT,
                    "resource": "*",
                    "condition": {"string_like": {"cos:content-type": "image/*"}},
                },
                {
                    "effect": "allow",
                    "action": PUT,
                    "resource": "*",
                    "condition": {"string_equal": {"cos:content-type": "application/pdf"}},
                },
            ]
        }
    )
    image = evaluate(policy, PUT, OBJECT, RequestContext(content_type="image/png"))
    pdf = evaluate(policy, PUT, OBJECT, RequestContext(content_type="application/pdf"))
    text = evaluate(policy, PUT, OBJECT, RequestContext(content_type="text/plain"))
    assert (image.allowed, image.statement) == (True, 0)
    assert (pdf.allowed, pdf.statement) == (True, 1)
    assert (text.allowed, text.statement) == (False, None)
