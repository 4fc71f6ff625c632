"""The trace behind a decision (`explain`): the statement that decided, and for a deny by condition which condition
failed with what request value; the decision itself is always exactly `evaluate`'s."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcloud.policy import Condition, RequestContext, evaluate, explain, parse_policy

PREFIX = "qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/"
OBJECT = PREFIX + "users/alice/a.jpg"
PUT = "name/cos:PutObject"
GET = "name/cos:GetObject"
MIB = 1024 * 1024


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"version": "2.0", "statement": list(statements)})


def allow(action: str, resource: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"effect": "allow", "action": action, "resource": resource}
    if condition:
        statement["condition"] = condition
    return statement


def deny(action: str, resource: str, **condition: Any) -> dict[str, Any]:
    return {**allow(action, resource, **condition), "effect": "deny"}


def test_it_names_the_allowing_statement() -> None:
    rules = policy(allow(GET, PREFIX + "public/*"), allow(PUT, PREFIX + "users/alice/*"))
    explanation = explain(rules, PUT, OBJECT)
    assert explanation.decision == evaluate(rules, PUT, OBJECT)
    assert explanation.decision.allowed
    assert explanation.deciding_statement == 1
    deciding = explanation.deciding
    assert deciding is not None
    assert (deciding.index, deciding.statement.effect, deciding.resource) == (1, "allow", OBJECT)
    assert deciding.statement.actions == (PUT,)
    assert [check.index for check in explanation.matched] == [1]  # statement 0 names another action
    assert explanation.near_miss is None
    assert explanation.failed_conditions == ()


def test_it_names_the_statement_that_denies_explicitly() -> None:
    rules = policy(allow("name/cos:*", PREFIX + "*"), deny(PUT, PREFIX + "users/alice/*"))
    explanation = explain(rules, PUT, OBJECT)
    assert explanation.decision == evaluate(rules, PUT, OBJECT)
    assert not explanation.decision.allowed
    assert explanation.decision.effect == "deny"
    assert explanation.deciding_statement == 1
    assert [(check.index, check.applies) for check in explanation.matched] == [(0, True), (1, True)]
    assert explanation.near_miss is None


def test_it_shows_the_conditions_of_a_deny_that_held() -> None:
    rules = policy(allow(PUT, PREFIX + "*"), deny(PUT, PREFIX + "*", ip_not_equal={"qcs:ip": "10.0.0.0/8"}))
    explanation = explain(rules, PUT, OBJECT, RequestContext(ip="203.0.113.7"))
    assert explanation.deciding_statement == 1
    deciding = explanation.deciding
    assert deciding is not None
    [check] = deciding.conditions
    assert (check.condition, check.actual, check.holds) == (
        Condition("ip_not_equal", "qcs:ip", ("10.0.0.0/8",)),
        "203.0.113.7",
        True,
    )
    assert check.relation == "∉"


@pytest.mark.parametrize(
    ("condition", "context", "actual", "relation"),
    [
        ({"numeric_less_than_equal": {"cos:content-length": 10 * MIB}}, {"content_length": 20 * MIB}, 20 * MIB, ">"),
        ({"numeric_greater_than_equal": {"cos:content-length": 1}}, {"content_length": 0}, 0, "<"),
        ({"numeric_equal": {"cos:content-length": 100}}, {"content_length": 101}, 101, "≠"),
        ({"string_like": {"cos:content-type": "image/*"}}, {"content_type": "text/plain"}, "text/plain", "∉"),
        ({"string_equal": {"cos:content-type": "image/png"}}, {"content_type": "image/gif"}, "image/gif", "∉"),
        ({"ip_equal": {"qcs:ip": "10.0.0.0/8"}}, {"ip": "203.0.113.7"}, "203.0.113.7", "∉"),
        ({"ip_not_equal": {"qcs:ip": "203.0.113.0/24"}}, {"ip": "203.0.113.7"}, "203.0.113.7", "∈"),
        ({"string_equal": {"cos:x-cos-forbid-overwrite": "true"}}, {"forbid_overwrite": "false"}, "false", "∉"),
        ({"string_equal": {"cos:x-cos-acl": "private"}}, {"acl": "public-read"}, "public-read", "∉"),
    ],
    ids=["size", "min-size", "exact-size", "type-like", "type-equal", "network", "not-network", "overwrite", "acl"],
)
def test_it_names_the_condition_that_failed_and_the_requests_value(
    condition: dict[str, Any], context: dict[str, Any], actual: Any, relation: str
) -> None:
    [(operator, keyed)] = condition.items()
    [(key, limit)] = keyed.items()
    rules = policy(allow(GET, PREFIX + "*"), allow(PUT, PREFIX + "users/alice/*", **condition))
    request = RequestContext(**context)
    explanation = explain(rules, PUT, OBJECT, request)
    assert explanation.decision == evaluate(rules, PUT, OBJECT, request)
    assert not explanation.decision.allowed
    assert explanation.deciding_statement is None  # an implicit deny...
    near_miss = explanation.near_miss  # ...because the statement that would allow it had a condition fail
    assert near_miss is not None
    assert near_miss.index == 1
    [failed] = explanation.failed_conditions
    assert (failed.condition.operator, failed.condition.key, failed.condition.values) == (operator, key, (str(limit),))
    assert (failed.actual, failed.holds, failed.relation) == (actual, False, relation)


def test_it_lists_every_failed_condition_and_those_the_request_did_not_give() -> None:
    rules = policy(
        allow(
            PUT,
            PREFIX + "users/alice/*",
            numeric_less_than_equal={"cos:content-length": 5 * MIB},
            string_like={"cos:content-type": "image/*"},
            ip_equal={"qcs:ip": "10.0.0.0/8"},
        )
    )
    request = RequestContext(content_length=6 * MIB, content_type="text/plain")
    explanation = explain(rules, PUT, OBJECT, request)
    assert explanation.decision == evaluate(rules, PUT, OBJECT, request)
    assert [(c.condition.key, c.holds, c.relation) for c in explanation.failed_conditions] == [
        ("cos:content-length", False, ">"),
        ("cos:content-type", False, "∉"),
        ("qcs:ip", None, "?"),
    ]
    # evaluate stops at the first failed condition (the answer cannot change): it does not ask for the address.
    assert explanation.decision.missing_context == ()


def test_it_keeps_the_conditions_that_held_next_to_the_one_that_failed() -> None:
    rules = policy(
        allow(
            PUT,
            PREFIX + "*",
            numeric_less_than_equal={"cos:content-length": 5 * MIB},
            string_like={"cos:content-type": "image/*"},
        )
    )
    explanation = explain(rules, PUT, OBJECT, RequestContext(content_length=MIB, content_type="video/mp4"))
    near_miss = explanation.near_miss
    assert near_miss is not None
    assert [(c.condition.key, c.holds) for c in near_miss.conditions] == [
        ("cos:content-length", True),
        ("cos:content-type", False),
    ]
    assert [c.condition.key for c in near_miss.failed] == ["cos:content-type"]


def test_it_has_no_near_miss_when_nothing_matches_the_action_and_resource() -> None:
    rules = policy(allow(PUT, PREFIX + "users/bob/*"), deny(GET, PREFIX + "*"))
    explanation = explain(rules, PUT, OBJECT)
    assert explanation.decision == evaluate(rules, PUT, OBJECT)
    assert explanation.matched == ()
    assert explanation.near_miss is None
    assert explanation.failed_conditions == ()


def test_it_reports_a_deny_whose_condition_failed_without_letting_it_decide() -> None:
    rules = policy(
        allow(PUT, PREFIX + "*"),
        deny(PUT, PREFIX + "*", numeric_greater_than_equal={"cos:content-length": 100 * MIB}),
    )
    explanation = explain(rules, PUT, OBJECT, RequestContext(content_length=MIB))
    assert explanation.decision.allowed
    assert explanation.deciding_statement == 0
    denial = explanation.matched[1]
    assert (denial.statement.effect, denial.applies, denial.failed[0].relation) == ("deny", False, "<")


def test_it_uses_the_listing_resources_as_evaluate_does() -> None:
    bucket = PREFIX.rstrip("/")
    rules = policy(allow("name/cos:GetBucket", PREFIX + "users/alice/*"))
    resources = [bucket, PREFIX + "users/alice/*"]
    explanation = explain(rules, "name/cos:GetBucket", resources)
    assert explanation.decision == evaluate(rules, "name/cos:GetBucket", resources)
    assert explanation.matched[0].resource == PREFIX + "users/alice/*"


STATEMENTS = st.lists(
    st.fixed_dictionaries(
        {
            "effect": st.sampled_from(["allow", "deny"]),
            "action": st.sampled_from([PUT, GET, "name/cos:*", "*"]),
            "resource": st.sampled_from([PREFIX + "*", PREFIX + "users/alice/*", PREFIX + "users/bob/*", "*"]),
            "condition": st.sampled_from(
                [
                    {},
                    {"numeric_less_than_equal": {"cos:content-length": 5 * MIB}},
                    {"string_like": {"cos:content-type": "image/*"}},
                    {"ip_equal": {"qcs:ip": "10.0.0.0/8"}},
                    {"ip_not_equal": {"qcs:ip": "10.0.0.0/8"}},
                ]
            ),
        }
    ),
    min_size=1,
    max_size=5,
)
CONTEXTS = st.builds(
    RequestContext,
    content_length=st.sampled_from([None, MIB, 6 * MIB]),
    content_type=st.sampled_from([None, "image/png", "text/plain"]),
    ip=st.sampled_from([None, "10.1.2.3", "203.0.113.7"]),
)


@given(statements=STATEMENTS, action=st.sampled_from([PUT, GET]), context=CONTEXTS)
def test_it_always_decides_exactly_as_evaluate(
    statements: list[dict[str, Any]], action: str, context: RequestContext
) -> None:
    rules = policy(*({k: v for k, v in s.items() if v} for s in statements))
    explanation = explain(rules, action, OBJECT, context)
    assert explanation.decision == evaluate(rules, action, OBJECT, context)
    deciding = explanation.deciding
    if explanation.decision.statement is None:
        assert deciding is None
        assert not any(check.applies and check.statement.effect == "allow" for check in explanation.matched)
    else:
        assert deciding is not None
        assert deciding.applies
        assert deciding.statement.effect == explanation.decision.effect
