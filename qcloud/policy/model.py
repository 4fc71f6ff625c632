"""The CAM policy model: policies, statements and conditions, and how they are written back as JSON.

{"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:GetObject"],
  "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/*"],
  "condition": {"numeric_less_than_equal": {"cos:content-length": 5242880}}}]}
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

VERSION = "2.0"
EFFECTS = ("allow", "deny")
STATEMENT_FIELDS = ("effect", "action", "resource", "condition")
POLICY_FIELDS = ("version", "statement")

# Condition keys and the operators each accepts.
CONTENT_LENGTH = "cos:content-length"
CONTENT_TYPE = "cos:content-type"
CLIENT_IP = "qcs:ip"
ACL = "cos:x-cos-acl"
# The request header x-cos-forbid-overwrite ("true": refuse to replace an existing object).
FORBID_OVERWRITE = "cos:x-cos-forbid-overwrite"
NUMERIC_OPERATORS = ("numeric_less_than_equal", "numeric_greater_than_equal", "numeric_equal")
STRING_OPERATORS = ("string_equal", "string_like")
IP_OPERATORS = ("ip_equal", "ip_not_equal")
OPERATORS = (*NUMERIC_OPERATORS, *STRING_OPERATORS, *IP_OPERATORS)
KEY_OPERATORS: dict[str, tuple[str, ...]] = {
    CONTENT_LENGTH: NUMERIC_OPERATORS,
    CONTENT_TYPE: STRING_OPERATORS,
    CLIENT_IP: IP_OPERATORS,
    ACL: ("string_equal",),
    FORBID_OVERWRITE: ("string_equal",),
}


class PolicyError(ValueError):
    """A malformed policy. str(exc) names where: "statement 2, field 'effect': must be 'allow' or 'deny', got 'alow'".

    `statement` is the 0-based index of the statement (None for policy-level problems); `field` the field name.
    """

    def __init__(self, message: str, *, statement: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.statement = statement
        self.field = field
        where = []
        if statement is not None:
            where.append(f"statement {statement + 1}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_policy_error, (self.message, self.statement, self.field))


def _rebuild_policy_error(message: str, statement: int | None, field: str | None) -> PolicyError:
    return PolicyError(message, statement=statement, field=field)


@dataclass(frozen=True)
class Condition:
    """`operator` on `key` holds when the request matches any of `values` (ip_not_equal: lies outside all of them).

    Several conditions in one statement must all hold.
    """

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"effect": self.effect, "action": list(self.actions), "resource": list(self.resources)}
        if self.conditions:
            block: dict[str, dict[str, Any]] = {}
            for condition in _merge_conditions(self.conditions):
                values: list[Any] = [_value_to_json(condition.operator, value) for value in condition.values]
                block.setdefault(condition.operator, {})[condition.key] = values[0] if len(values) == 1 else values
            data["condition"] = block
        return data


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str = VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "statement": [statement.to_dict() for statement in self.statements]}

    def to_json(self) -> str:
        """Compact JSON with a stable key order: equal policies give equal strings (the signer caches on it)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def without_allow_conditions(self, *, keep: Collection[str] = ()) -> Policy:
        """This policy with its allow statements stripped of their conditions (but those on the keys in `keep`).

        Deny statements stay as they are. It answers "could this be allowed at all?" when the request context is not
        known yet: scopes asked for before an upload (the conditions travel into the issued statements, so COS still
        enforces them), or the prefixes a page offers (`keep=(CLIENT_IP,)`: the client's address is known already).
        """
        statements = tuple(
            dataclasses.replace(s, conditions=tuple(c for c in s.conditions if c.key in keep))
            if s.effect == "allow"
            else s
            for s in self.statements
        )
        return Policy(statements=statements, version=self.version)


def _merge_conditions(conditions: Sequence[Condition]) -> list[Condition]:
    """One condition per (operator, key), as JSON can hold only one, meaning exactly what all of them meant together.

    A statement built in code (the signer adds its limits to an admin's conditions) may hold two conditions on the same
    operator and key; both must hold. Writing only one of them would silently widen the policy, so they are combined
    exactly, or a PolicyError says why they cannot be.
    """
    merged: dict[tuple[str, str], Condition] = {}
    for condition in conditions:
        slot = (condition.operator, condition.key)
        previous = merged.get(slot)
        merged[slot] = condition if previous is None else _merge_pair(previous, condition)
    return list(merged.values())


def _merge_pair(first: Condition, second: Condition) -> Condition:
    operator, key = first.operator, first.key
    if set(first.values) == set(second.values):
        return first
    values: tuple[str, ...] | None = None
    if operator == "numeric_less_than_equal":
        # x <= any(A) and x <= any(B)  <=>  x <= min(max(A), max(B))
        values = (min(max(first.values, key=_sort_number), max(second.values, key=_sort_number), key=_sort_number),)
    elif operator == "numeric_greater_than_equal":
        values = (max(min(first.values, key=_sort_number), min(second.values, key=_sort_number), key=_sort_number),)
    elif operator in ("numeric_equal", "string_equal"):
        canonical = to_number if operator == "numeric_equal" else str
        others = {canonical(value) for value in second.values}
        common = tuple(value for value in first.values if canonical(value) in others)
        values = common if common else None
    elif operator == "ip_not_equal":
        values = first.values + tuple(v for v in second.values if v not in first.values)
    elif operator == "ip_equal":
        inside_both = _intersect_networks(first.values, second.values)
        values = inside_both if inside_both else None
    if values is None:
        raise PolicyError(
            f"cannot combine two {operator!r} conditions on {key!r} ({list(first.values)} and {list(second.values)})",
            field="condition",
        )
    return Condition(operator, key, values)


def _sort_number(value: str) -> Decimal:
    parsed = to_number(value)
    return parsed if parsed is not None else Decimal(0)


def _intersect_networks(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """The networks inside both lists: two CIDR networks are either disjoint or one holds the other."""
    result: list[str] = []
    for a in first:
        net_a = ipaddress.ip_network(a, strict=False)
        for b in second:
            net_b = ipaddress.ip_network(b, strict=False)
            if net_a.version != net_b.version:
                continue
            if net_a.subnet_of(net_b):  # type: ignore[arg-type]
                inner = a
            elif net_b.subnet_of(net_a):  # type: ignore[arg-type]
                inner = b
            else:
                continue
            if inner not in result:
                result.append(inner)
    return tuple(result)


def _value_to_json(operator: str, value: str) -> Any:
    if operator in NUMERIC_OPERATORS and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return value


def to_number(value: int | float | str) -> Decimal | None:
    """A condition's number (int, float or numeric text) as a Decimal; None when it is not a finite number."""
    try:
        parsed = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None
