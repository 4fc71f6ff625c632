"""Deciding a request against policies: statements, conditions against a request context, deny before allow."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from qcloud.glob import glob_match
from qcloud.policy.model import (
    ACL,
    CLIENT_IP,
    CONTENT_LENGTH,
    CONTENT_TYPE,
    FORBID_OVERWRITE,
    NUMERIC_OPERATORS,
    Condition,
    Policy,
    Statement,
    to_number,
)


@dataclass(frozen=True)
class RequestContext:
    """What a condition may look at. None means "not known" (a condition needing it does not hold)."""

    content_length: int | None = None
    content_type: str | None = None
    ip: str | None = None
    acl: str | None = None
    forbid_overwrite: str | None = None  # the x-cos-forbid-overwrite header as sent, lower-cased

    def get(self, key: str) -> int | str | None:
        if key == CONTENT_LENGTH:
            return self.content_length
        if key == CONTENT_TYPE:
            return self.content_type
        if key == CLIENT_IP:
            return self.ip
        if key == ACL:
            return self.acl
        if key == FORBID_OVERWRITE:
            return self.forbid_overwrite
        return None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    statement: int | None  # 0-based index of the deciding statement, None for an implicit deny
    effect: str | None  # "allow" / "deny" of that statement
    reason: str
    missing_context: tuple[str, ...] = ()
    policy: int | None = None  # evaluate_all: 0-based index of the deciding policy


def action_matches(pattern: str, action: str) -> bool:
    """ "*", "name/cos:*" and exact names (case-sensitive); a `*` inside ("name/cos:Get*") is a glob too."""
    return glob_match(pattern, action)


def _ip_in(value: str, networks: tuple[str, ...]) -> bool | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _condition_holds(condition: Condition, context: RequestContext) -> bool | None:
    """True / False, or None when the context lacks the key the condition needs."""
    actual = context.get(condition.key)
    if actual is None:
        return None
    operator = condition.operator
    if operator in NUMERIC_OPERATORS:
        number = to_number(actual) if isinstance(actual, (int, str)) else None
        if number is None:
            return False
        limits = [limit for limit in (to_number(value) for value in condition.values) if limit is not None]
        if operator == "numeric_less_than_equal":
            return any(number <= limit for limit in limits)
        if operator == "numeric_greater_than_equal":
            return any(number >= limit for limit in limits)
        return any(number == limit for limit in limits)
    text = str(actual)
    if operator == "string_equal":
        return text in condition.values
    if operator == "string_like":
        return any(glob_match(value, text) for value in condition.values)
    inside = _ip_in(text, condition.values)
    if inside is None:
        return False
    # ip_not_equal lists networks the client must be outside of, all of them (not "outside at least one").
    return inside if operator == "ip_equal" else not inside


def _conditions_hold(statement: Statement, context: RequestContext) -> tuple[bool, tuple[str, ...]]:
    """Whether every condition holds, and the context keys missing when that could not be decided."""
    missing: list[str] = []
    for condition in statement.conditions:
        holds = _condition_holds(condition, context)
        if holds is False:
            return False, ()
        if holds is None and condition.key not in missing:
            missing.append(condition.key)
    return not missing, tuple(missing)


def evaluate(
    policy: Policy, action: str, resource: str | Sequence[str], context: RequestContext | None = None
) -> Decision:
    """Decide one request against one policy.

    A statement applies when one of its actions matches, one of its resources matches ANY of the given resources
    (a sequence is used for the bucket-listing rule), and all of its conditions hold. A condition whose key the
    context lacks does not hold: an allow then does not apply, and neither does a deny (the request is judged
    without it); either way the key is reported in `missing_context` so the simulator can ask for it.
    """
    resources = (resource,) if isinstance(resource, str) else tuple(resource)
    context = context or RequestContext()
    missing: list[str] = []
    applies: dict[str, tuple[int, str]] = {}
    for index, statement in enumerate(policy.statements):
        if not any(action_matches(pattern, action) for pattern in statement.actions):
            continue
        matched = next((v for v in resources if any(glob_match(p, v) for p in statement.resources)), None)
        if matched is None:
            continue
        holds, needed = _conditions_hold(statement, context)
        missing.extend(key for key in needed if key not in missing)
        if holds and statement.effect not in applies:
            applies[statement.effect] = (index, matched)
    missing_context = tuple(missing)
    if "deny" in applies:
        index, matched = applies["deny"]
        reason = f"{action} on {matched} is explicitly denied by statement {index + 1}"
        return Decision(False, index, "deny", reason, missing_context)
    if "allow" in applies:
        index, matched = applies["allow"]
        reason = f"{action} on {matched} is allowed by statement {index + 1}"
        return Decision(True, index, "allow", reason, missing_context)
    target = " or ".join(resources) if resources else "(no resource)"
    reason = f"no statement allows {action} on {target}"
    if missing_context:
        reason += f" with this request context (conditions need {', '.join(missing_context)})"
    return Decision(False, None, None, reason, missing_context)


def evaluate_all(
    policies: Sequence[Policy],
    action: str,
    resource: str | Sequence[str],
    context: RequestContext | None = None,
) -> Decision:
    """Allowed only when every policy allows (AssumeRole: role ∩ session; sub-accounts; temporary credentials).

    The answer is the first explicit deny, else the first implicit deny, else an allow; `policy` names which policy
    decided. No policies at all allows nothing.
    """
    if not policies:
        return Decision(False, None, None, f"no policy allows {action}")
    decisions = [evaluate(policy, action, resource, context) for policy in policies]
    missing: list[str] = []
    for decision in decisions:
        missing.extend(key for key in decision.missing_context if key not in missing)
    refusals = [i for i, d in enumerate(decisions) if not d.allowed]
    explicit = [i for i in refusals if decisions[i].effect == "deny"]
    chosen = explicit[0] if explicit else refusals[0] if refusals else 0
    decision = decisions[chosen]
    if len(policies) == 1:
        reason = decision.reason
    elif decision.allowed:
        reason = "every policy allows it: " + "; ".join(f"policy {i + 1}: {d.reason}" for i, d in enumerate(decisions))
    else:
        reason = f"policy {chosen + 1}: {decision.reason}"
    return Decision(decision.allowed, decision.statement, decision.effect, reason, tuple(missing), chosen)


# Condition results as a relation between the request's value and the policy's: (when it holds, when it fails).
_RELATIONS = {
    "numeric_less_than_equal": ("≤", ">"),
    "numeric_greater_than_equal": ("≥", "<"),
    "numeric_equal": ("=", "≠"),
    "string_equal": ("∈", "∉"),
    "string_like": ("∈", "∉"),
    "ip_equal": ("∈", "∉"),
    "ip_not_equal": ("∉", "∈"),
}


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a statement against the request: the request's value and whether the condition held.

    `holds` is None when the request context lacks the key (the condition then does not hold)."""

    condition: Condition
    actual: int | str | None
    holds: bool | None

    @property
    def relation(self) -> str:
        """How the request's value stands to the policy's: "20 MiB > numeric_less_than_equal 10 MiB" reads ">";
        "?" when the request did not say."""
        if self.holds is None:
            return "?"
        held, failed = _RELATIONS[self.condition.operator]
        return held if self.holds else failed


@dataclass(frozen=True)
class StatementCheck:
    """A statement whose action and resource match the request, with each of its conditions checked."""

    index: int  # 0-based, as Decision.statement
    statement: Statement
    resource: str  # the request's resource it matched
    conditions: tuple[ConditionCheck, ...]

    @property
    def applies(self) -> bool:
        return all(check.holds is True for check in self.conditions)

    @property
    def failed(self) -> tuple[ConditionCheck, ...]:
        """The conditions that did not hold (failed, or not decidable for want of the request's value)."""
        return tuple(check for check in self.conditions if check.holds is not True)


@dataclass(frozen=True)
class Explanation:
    """Why `evaluate` decided what it did: every statement that matched the action and resource, checked.

    `decision` is exactly what `evaluate` answers for the same arguments."""

    decision: Decision
    matched: tuple[StatementCheck, ...]

    @property
    def deciding_statement(self) -> int | None:
        return self.decision.statement

    @property
    def deciding(self) -> StatementCheck | None:
        """The statement that decided (None for an implicit deny)."""
        return next((check for check in self.matched if check.index == self.decision.statement), None)

    @property
    def near_miss(self) -> StatementCheck | None:
        """For an implicit deny: the first allow statement that matched the action and resource but whose
        conditions did not all hold (what would have allowed the request); None otherwise."""
        if self.decision.statement is not None:
            return None
        return next((check for check in self.matched if check.statement.effect == "allow"), None)

    @property
    def failed_conditions(self) -> tuple[ConditionCheck, ...]:
        """The near miss's conditions that did not hold: why an allow did not apply."""
        near_miss = self.near_miss
        return near_miss.failed if near_miss is not None else ()


def explain(
    policy: Policy, action: str, resource: str | Sequence[str], context: RequestContext | None = None
) -> Explanation:
    """`evaluate`, with the trace behind its decision (for the policy simulator; `evaluate` itself stays lean).

    Every condition of a matching statement is checked, not only up to the first that fails, so the trace shows
    all the reasons an allow did not apply."""
    resources = (resource,) if isinstance(resource, str) else tuple(resource)
    context = context or RequestContext()
    matched: list[StatementCheck] = []
    for index, statement in enumerate(policy.statements):
        if not any(action_matches(pattern, action) for pattern in statement.actions):
            continue
        hit = next((v for v in resources if any(glob_match(p, v) for p in statement.resources)), None)
        if hit is None:
            continue
        checks = tuple(
            ConditionCheck(condition, context.get(condition.key), _condition_holds(condition, context))
            for condition in statement.conditions
        )
        matched.append(StatementCheck(index, statement, hit, checks))
    return Explanation(evaluate(policy, action, resources, context), tuple(matched))
