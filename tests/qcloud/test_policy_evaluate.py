"""Evaluating CAM policies: deny over allow, glob resources, actions, the listing rule, intersections, templates."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcloud.policy import (
    Decision,
    PolicyError,
    RequestContext,
    action_matches,
    evaluate,
    evaluate_all,
    glob_match,
    parse_policy,
    resource_name,
    substitute,
)

BUCKET = "qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/"


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"version": "2.0", "statement": list(statements)})


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"effect": "allow", "action": action, "resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"effect": "deny", "action": action, "resource": resource, **extra}


def test_it_allows_what_a_statement_allows() -> None:
    decision = evaluate(
        policy(allow("name/cos:GetObject", BUCKET + "users/alice/*")),
        "name/cos:GetObject",
        BUCKET + "users/alice/a.jpg",
    )
    assert decision == Decision(
        allowed=True,
        statement=0,
        effect="allow",
        reason=f"name/cos:GetObject on {BUCKET}users/alice/a.jpg is allowed by statement 1",
    )


def test_it_denies_implicitly_when_nothing_matches() -> None:
    decision = evaluate(
        policy(allow("name/cos:GetObject", BUCKET + "users/alice/*")), "name/cos:GetObject", BUCKET + "users/bob/a.jpg"
    )
    assert decision == Decision(
        allowed=False,
        statement=None,
        effect=None,
        reason=f"no statement allows name/cos:GetObject on {BUCKET}users/bob/a.jpg",
    )


@pytest.mark.parametrize("order", ["deny first", "deny last"])
def test_it_lets_an_explicit_deny_win_over_any_allow(order: str) -> None:
    statements = [
        allow("name/cos:*", BUCKET + "*"),
        allow("*", "*"),
        deny("name/cos:DeleteObject", BUCKET + "users/alice/keep/*"),
    ]
    if order == "deny first":
        statements.reverse()
    deciding = 0 if order == "deny first" else 2
    decision = evaluate(policy(*statements), "name/cos:DeleteObject", BUCKET + "users/alice/keep/a.txt")
    assert not decision.allowed
    assert decision.effect == "deny"
    assert decision.statement == deciding
    assert decision.reason == (
        f"name/cos:DeleteObject on {BUCKET}users/alice/keep/a.txt is explicitly denied by statement {deciding + 1}"
    )
    # The deny is narrow: the same action elsewhere, and other actions there, are still allowed.
    assert evaluate(policy(*statements), "name/cos:DeleteObject", BUCKET + "users/alice/a.txt").allowed
    assert evaluate(policy(*statements), "name/cos:GetObject", BUCKET + "users/alice/keep/a.txt").allowed


def test_it_names_the_first_allowing_statement() -> None:
    decision = evaluate(
        policy(allow("name/cos:PutObject", "*"), allow("name/cos:GetObject", "*"), allow("*", "*")),
        "name/cos:GetObject",
        BUCKET + "a",
    )
    assert (decision.statement, decision.effect) == (1, "allow")


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        (BUCKET + "users/alice/*", BUCKET + "users/alice/a.jpg", True),
        (BUCKET + "users/alice/*", BUCKET + "users/alice/deep/er/a.jpg", True),  # `*` crosses "/"
        (BUCKET + "users/alice/*", BUCKET + "users/alice/", True),  # `*` matches ""
        (BUCKET + "users/alice/*", BUCKET + "users/alice", False),
        (BUCKET + "users/alice/*", BUCKET + "users/alice2/a.jpg", False),
        (BUCKET + "users/alice/*", BUCKET + "users/bob/a.jpg", False),
        (BUCKET + "users/*/public/*", BUCKET + "users/bob/public/a.jpg", True),
        (BUCKET + "users/*/public/*", BUCKET + "users/bob/private/a.jpg", False),
        (BUCKET + "*.jpg", BUCKET + "a/b/c.jpg", True),
        (BUCKET + "*.jpg", BUCKET + "a/b/c.jpg.exe", False),
        (BUCKET + "a?c", BUCKET + "abc", False),  # `?` is not special
        (BUCKET + "a?c", BUCKET + "a?c", True),
        (BUCKET + "[ab]", BUCKET + "a", False),  # nor are brackets
        (BUCKET, BUCKET, True),
        (BUCKET, BUCKET + "a", False),
        ("*", BUCKET + "anything", True),
        ("*", "*", True),
        ("qcs::cos:*:uid/1250000000:*", BUCKET + "x", True),
        ("qcs::cos:ap-beijing:uid/1250000000:*", BUCKET + "x", False),
        (BUCKET.replace("photos", "Photos") + "*", BUCKET + "x", False),  # case-sensitive
    ],
)
def test_it_matches_resources_as_globs(pattern: str, resource: str, matches: bool) -> None:
    assert evaluate(policy(allow("*", pattern)), "name/cos:GetObject", resource).allowed is matches


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("*", "name/cos:PutObject", True),
        ("*", "name/sts:AssumeRole", True),
        ("name/cos:*", "name/cos:PutObject", True),
        ("name/cos:*", "name/sts:AssumeRole", False),
        ("name/cos:PutObject", "name/cos:PutObject", True),
        ("name/cos:PutObject", "name/cos:putobject", False),
        ("name/cos:putobject", "name/cos:PutObject", False),
        ("name/cos:PutObject", "name/cos:PutObjectCopy", False),
        ("name/cos:Get*", "name/cos:GetObject", True),
        ("name/cos:Get*", "name/cos:HeadObject", False),
        ("name/sts:AssumeRole", "name/sts:AssumeRole", True),
        ("name/sts:*", "name/sts:AssumeRole", True),
        ("name/sts:*", "name/cos:GetObject", False),
        ("name/sts:AssumeRole", "name/sts:GetFederationToken", False),
    ],
)
def test_it_matches_actions(pattern: str, action: str, matches: bool) -> None:
    assert action_matches(pattern, action) is matches
    assert evaluate(policy(allow(pattern, "*")), action, "*").allowed is matches


def test_it_matches_a_statement_when_any_of_several_resources_matches() -> None:
    listing = policy(allow("name/cos:GetBucket", BUCKET + "users/alice/*"))
    decision = evaluate(listing, "name/cos:GetBucket", [BUCKET, BUCKET + "users/alice/"])
    assert decision.allowed
    assert decision.reason == f"name/cos:GetBucket on {BUCKET}users/alice/ is allowed by statement 1"
    refused = evaluate(listing, "name/cos:GetBucket", [BUCKET, BUCKET + "users/"])
    assert not refused.allowed
    assert refused.reason == f"no statement allows name/cos:GetBucket on {BUCKET} or {BUCKET}users/"


def test_it_lets_a_deny_on_any_listed_resource_win() -> None:
    listing = policy(allow("name/cos:GetBucket", BUCKET + "*"), deny("name/cos:GetBucket", BUCKET))
    assert not evaluate(listing, "name/cos:GetBucket", [BUCKET, BUCKET + "users/alice/"]).allowed


@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [
        ("users/alice/", True),
        ("users/alice/photos/", True),
        ("users/", False),
        ("users/bob/", False),
        ("", False),
        ("users/alice", False),
        ("users/alice2/", False),
    ],
)
def test_it_lets_an_upload_only_policy_list_its_own_prefix(prefix: str, allowed: bool) -> None:
    upload_only = policy(
        allow(
            ["name/cos:PutObject", "name/cos:GetBucket", "name/cos:ListMultipartUploads", "name/cos:UploadPart"],
            BUCKET + "users/alice/*",
        )
    )
    for action in ("name/cos:GetBucket", "name/cos:ListMultipartUploads"):
        assert evaluate(upload_only, action, [BUCKET, BUCKET + prefix]).allowed is allowed


def test_it_gives_an_empty_resource_list_nothing() -> None:
    assert not evaluate(policy(allow("*", "*")), "name/cos:GetObject", []).allowed


def test_it_builds_resource_names() -> None:
    assert resource_name("ap-guangzhou", "1250000000", "photos-1250000000") == BUCKET
    assert resource_name("ap-guangzhou", "1250000000", "photos-1250000000", "users/alice/a b+c.jpg") == (
        BUCKET + "users/alice/a b+c.jpg"
    )


# ------------------------------------------------------------------------------------------------- intersections

ROLE = {"version": "2.0", "statement": [allow("name/cos:*", BUCKET + "users/*")]}
SESSION_ALICE = {"version": "2.0", "statement": [allow("name/cos:*", BUCKET + "users/alice/*")]}


def test_it_allows_only_what_every_policy_allows() -> None:
    role, session = parse_policy(ROLE), parse_policy(SESSION_ALICE)
    inside = evaluate_all([role, session], "name/cos:PutObject", BUCKET + "users/alice/a")
    assert inside.allowed
    assert inside.reason == (
        f"every policy allows it: policy 1: name/cos:PutObject on {BUCKET}users/alice/a is allowed by statement 1; "
        f"policy 2: name/cos:PutObject on {BUCKET}users/alice/a is allowed by statement 1"
    )
    outside = evaluate_all([role, session], "name/cos:PutObject", BUCKET + "users/bob/a")
    assert not outside.allowed
    assert outside.policy == 1
    assert outside.reason == f"policy 2: no statement allows name/cos:PutObject on {BUCKET}users/bob/a"


def test_it_never_lets_a_wider_session_policy_widen_the_role() -> None:
    role = parse_policy(ROLE)
    everything = policy(allow("*", "*"))
    decision = evaluate_all([role, everything], "name/cos:PutObject", BUCKET + "public/a")
    assert not decision.allowed
    assert decision.policy == 0


def test_it_prefers_an_explicit_deny_when_several_policies_refuse() -> None:
    narrow = parse_policy(SESSION_ALICE)
    denying = policy(allow("*", "*"), deny("name/cos:DeleteObject", "*"))
    decision = evaluate_all([narrow, denying], "name/cos:DeleteObject", BUCKET + "users/bob/a")
    assert not decision.allowed
    assert (decision.policy, decision.statement, decision.effect) == (1, 1, "deny")


def test_it_allows_nothing_without_policies() -> None:
    decision = evaluate_all([], "name/cos:GetObject", BUCKET + "a")
    assert not decision.allowed
    assert decision.reason == "no policy allows name/cos:GetObject"


def test_it_reports_a_single_policy_like_evaluate_does() -> None:
    single = parse_policy(SESSION_ALICE)
    assert evaluate_all([single], "name/cos:GetObject", BUCKET + "users/bob/a").reason == (
        evaluate(single, "name/cos:GetObject", BUCKET + "users/bob/a").reason
    )


def test_it_checks_assume_role_permissions() -> None:
    caller = policy(allow("name/sts:AssumeRole", "qcs::cam::uin/100000000001:roleName/cos-demo"))
    assert evaluate(caller, "name/sts:AssumeRole", "qcs::cam::uin/100000000001:roleName/cos-demo").allowed
    assert not evaluate(caller, "name/sts:AssumeRole", "qcs::cam::uin/100000000001:roleName/admin").allowed
    assert not evaluate(caller, "name/cos:GetObject", BUCKET + "a").allowed


# ------------------------------------------------------------------------------------------------------ templates

TEMPLATE = {
    "version": "2.0",
    "statement": [
        allow(
            ["name/cos:PutObject"],
            ["qcs::cos:ap-guangzhou:uid/${appid}:photos-${appid}/users/${username}/*"],
        ),
        allow("name/cos:GetObject", "qcs::cos:ap-guangzhou:uid/${appid}:photos-${appid}/ids/${user_id}/*"),
    ],
}
VARIABLES = {"username": "alice", "user_id": "7", "appid": "1250000000"}


def test_it_fills_in_variables_everywhere() -> None:
    filled = substitute(TEMPLATE, VARIABLES)
    assert filled["statement"][0]["resource"] == [BUCKET + "users/alice/*"]
    assert filled["statement"][1]["resource"] == BUCKET + "ids/7/*"
    assert filled["statement"][0]["action"] == ["name/cos:PutObject"]
    assert parse_policy(filled).statements[0].resources == (BUCKET + "users/alice/*",)
    assert TEMPLATE["statement"][0]["resource"] == [  # the template itself is left alone
        "qcs::cos:ap-guangzhou:uid/${appid}:photos-${appid}/users/${username}/*"
    ]


def test_it_fills_in_json_text_templates() -> None:
    text = '{"statement": [{"effect": "allow", "action": "*", "resource": "qcs::cos:x:uid/1:b-1/${username}/*"}]}'
    assert substitute(text, {"username": "bob"})["statement"][0]["resource"] == "qcs::cos:x:uid/1:b-1/bob/*"


def test_it_inserts_values_literally() -> None:
    template = {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${username}/*")]}
    filled = substitute(template, {"username": 'o"brien\\${appid}'})
    assert filled["statement"][0]["resource"] == 'qcs::cos:x:uid/1:b-1/o"brien\\${appid}/*'


def test_it_checks_only_the_values_it_uses() -> None:
    template = {"statement": [allow("*", "qcs::cos:x:uid/${appid}:b-${appid}/*")]}
    filled = substitute(template, {"appid": "1250000000", "username": "odd*name"})
    assert filled["statement"][0]["resource"] == "qcs::cos:x:uid/1250000000:b-1250000000/*"


def test_it_leaves_templates_without_variables_unchanged() -> None:
    assert substitute(SESSION_ALICE, {}) == SESSION_ALICE
    assert substitute({"statement": [allow("*", "*")], "version": "2.0"}, VARIABLES)["version"] == "2.0"


@pytest.mark.parametrize(
    ("template", "variables", "message"),
    [
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${user}/*")]},
            VARIABLES,
            "unknown variable ${user} (known: ${username}, ${user_id}, ${appid}, ${jwt:<claim>})",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${}/*")]},
            VARIABLES,
            "unknown variable ${} (known: ${username}, ${user_id}, ${appid}, ${jwt:<claim>})",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${user_id}/*")]},
            {"username": "alice"},
            "no value given for ${user_id}",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${username}/*")]},
            {"username": "*"},
            "value of ${username} must not contain '*' or '?', got '*'",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${username}/*")]},
            {"username": "al*ce"},
            "value of ${username} must not contain '*' or '?', got 'al*ce'",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${username}/*")]},
            {"username": ""},
            "value of ${username} must be a non-empty string",
        ),
        (
            {"statement": []},
            {"uid": "7"},
            "unknown variable ${uid} (known: ${username}, ${user_id}, ${appid}, ${jwt:<claim>})",
        ),
        (
            {"statement": [allow("*", "qcs::cos:x:uid/1:b-1/${username/*")]},
            VARIABLES,
            "unterminated variable in 'qcs::cos:x:uid/1:b-1/${username/*' (write ${name})",
        ),
        (
            "{not json",
            VARIABLES,
            "policy template is not valid JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        ),
        ("[]", VARIABLES, "policy template must be a JSON object, got list"),
    ],
)
def test_it_refuses_templates_it_cannot_fill_safely(template: Any, variables: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        substitute(template, variables)
    assert str(caught.value) == message


def test_it_never_lets_a_user_name_widen_a_resource() -> None:
    template = {"statement": [allow("name/cos:GetObject", BUCKET + "users/${username}/*")]}
    for sneaky in ("*", "bob/*", "a*"):
        with pytest.raises(PolicyError, match="must not contain"):
            substitute(template, {"username": sneaky})
    filled = parse_policy(substitute(template, {"username": "alice/../bob"}))
    assert not evaluate(filled, "name/cos:GetObject", BUCKET + "users/bob/a").allowed
    assert glob_match(filled.statements[0].resources[0], BUCKET + "users/alice/../bob/a")


def test_it_collects_missing_context_from_every_policy() -> None:
    sized = policy(allow("*", "*", condition={"numeric_less_than_equal": {"cos:content-length": 5}}))
    typed = policy(allow("*", "*", condition={"string_like": {"cos:content-type": "image/*"}}))
    decision = evaluate_all([sized, typed], "name/cos:PutObject", BUCKET + "a")
    assert not decision.allowed
    assert decision.missing_context == ("cos:content-length", "cos:content-type")
    assert decision.reason == (
        f"policy 1: no statement allows name/cos:PutObject on {BUCKET}a with this request context "
        "(conditions need cos:content-length)"
    )


STATEMENTS = st.lists(
    st.fixed_dictionaries(
        {
            "effect": st.sampled_from(["allow", "deny"]),
            "action": st.sampled_from(["*", "name/cos:*", "name/cos:GetObject", "name/cos:PutObject"]),
            "resource": st.sampled_from(["*", BUCKET + "*", BUCKET + "users/alice/*", BUCKET + "users/bob/*"]),
        }
    ),
    min_size=1,
    max_size=6,
)
REQUESTS = st.tuples(
    st.sampled_from(["name/cos:GetObject", "name/cos:PutObject", "name/cos:DeleteObject"]),
    st.sampled_from([BUCKET + "users/alice/a", BUCKET + "users/bob/b", BUCKET + "x", "*"]),
)


@given(STATEMENTS, REQUESTS, st.integers(min_value=0, max_value=6))
def test_it_lets_a_matching_deny_win_wherever_it_stands(
    statements: list[dict[str, Any]], call: tuple[str, str], position: int
) -> None:
    action, resource = call
    blocker = deny(action, resource.replace("*", "") + "*" if resource != "*" else "*")
    statements = [*statements[:position], blocker, *statements[position:]]
    decision = evaluate(policy(*statements), action, resource)
    assert not decision.allowed
    assert decision.effect == "deny"
    assert statements[decision.statement or 0]["effect"] == "deny"


@given(STATEMENTS, REQUESTS)
def test_it_allows_exactly_when_some_allow_and_no_deny_matches(
    statements: list[dict[str, Any]], call: tuple[str, str]
) -> None:
    action, resource = call

    def matches(statement: dict[str, Any]) -> bool:
        return action_matches(statement["action"], action) and glob_match(statement["resource"], resource)

    expected = any(s["effect"] == "allow" and matches(s) for s in statements) and not any(
        s["effect"] == "deny" and matches(s) for s in statements
    )
    assert evaluate(policy(*statements), action, resource).allowed is expected


def test_it_strips_only_the_allow_statements_of_their_conditions() -> None:
    size = {"numeric_less_than_equal": {"cos:content-length": 10}}
    network = {"ip_equal": {"qcs:ip": "10.0.0.0/8"}}
    original = policy(
        allow("name/cos:PutObject", BUCKET + "*", condition={**size, **network}),
        deny("name/cos:PutObject", BUCKET + "secret/*", condition=size),
    )
    relaxed = original.without_allow_conditions()
    assert relaxed.statements[0].conditions == ()
    assert relaxed.statements[1] == original.statements[1]
    assert evaluate(relaxed, "name/cos:PutObject", BUCKET + "a.jpg").allowed
    assert not evaluate(original, "name/cos:PutObject", BUCKET + "a.jpg").allowed


def test_it_keeps_the_allow_conditions_it_is_told_to_keep() -> None:
    condition = {"numeric_less_than_equal": {"cos:content-length": 10}, "ip_equal": {"qcs:ip": "10.0.0.0/8"}}
    on_network = policy(allow("name/cos:GetBucket", BUCKET, condition=condition)).without_allow_conditions(
        keep=("qcs:ip",)
    )
    assert [c.key for c in on_network.statements[0].conditions] == ["qcs:ip"]
    assert evaluate(on_network, "name/cos:GetBucket", BUCKET, RequestContext(ip="10.1.2.3")).allowed
    assert not evaluate(on_network, "name/cos:GetBucket", BUCKET, RequestContext(ip="203.0.113.5")).allowed
