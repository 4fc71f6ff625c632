"""The CAM policy model: parse, evaluate, name resources, fill in template variables.

One model for everyone: the signer builds and checks policies with it, the demo's simulator explains decisions with it,
and localcloud enforces it on every request made with temporary or sub-account keys.

    {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:GetObject"],
      "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/*"],
      "condition": {"numeric_less_than_equal": {"cos:content-length": 5242880}}}]}

Evaluation: a matching deny whose conditions hold wins, then a matching allow whose conditions hold; otherwise the
request is implicitly denied. A condition whose key the request context lacks does not hold, so neither an allow nor
a deny carrying it applies (localcloud always supplies the context it knows); the key is listed in
`Decision.missing_context` so the policy simulator can ask for it.

Human-readable text counts statements from 1 ("statement 2"); the `statement` attributes of PolicyError and Decision
are 0-based indexes.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
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
NUMERIC_OPERATORS = ("numeric_less_than_equal", "numeric_greater_than_equal", "numeric_equal")
STRING_OPERATORS = ("string_equal", "string_like")
IP_OPERATORS = ("ip_equal", "ip_not_equal")
OPERATORS = (*NUMERIC_OPERATORS, *STRING_OPERATORS, *IP_OPERATORS)
KEY_OPERATORS: dict[str, tuple[str, ...]] = {
    CONTENT_LENGTH: NUMERIC_OPERATORS,
    CONTENT_TYPE: STRING_OPERATORS,
    CLIENT_IP: IP_OPERATORS,
    ACL: ("string_equal",),
}

ACTION_RE = re.compile(r"name/(cos|sts):[A-Za-z*]+")
RESOURCE_PREFIX = "qcs::"
VARIABLES = ("username", "user_id", "appid")
VARIABLE_RE = re.compile(r"\$\{([^}]*)\}|\$\{")  # the bare "${" catches an unterminated variable


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
        canonical = _number if operator == "numeric_equal" else str
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
    number = _number(value)
    return number if number is not None else Decimal(0)


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


# ---------------------------------------------------------------------------------------------------------- parsing


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _show(value: Any) -> str:
    """A value as an error message quotes it: strings in quotes, other JSON values with their type ("number 5")."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    try:
        text = json.dumps(value, default=str)
    except ValueError:
        text = repr(value)
    return f"{_type_name(value)} {text}"


class _DuplicateField(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys; in a policy that hides a mistake ("effect" twice), so refuse."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateField(name)
        result[name] = value
    return result


def _json_object(data: str | bytes | Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """JSON text (or an already decoded mapping) as a mapping; duplicate keys are an error, not a silent overwrite."""
    if isinstance(data, (str, bytes)):
        try:
            decoded = json.loads(data, object_pairs_hook=_no_duplicates)
        except _DuplicateField as exc:
            raise PolicyError(f"field {exc.name!r} appears twice in one object") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise PolicyError(f"{what} is not valid JSON: {exc}") from None
    else:
        decoded = data
    if not isinstance(decoded, Mapping):
        raise PolicyError(f"{what} must be a JSON object, got {_type_name(decoded)}")
    return decoded


def parse_policy(data: str | bytes | Mapping[str, Any]) -> Policy:
    """Parse a CAM policy from JSON text or a decoded mapping; PolicyError says exactly what is wrong and where."""
    decoded = _json_object(data, "policy")
    for name in decoded:
        if name not in POLICY_FIELDS:
            raise PolicyError(f"unknown field {name!r} (allowed: {', '.join(POLICY_FIELDS)})")
    version = decoded.get("version", VERSION)
    if version != VERSION:
        raise PolicyError(f"must be {VERSION!r}, got {_show(version)}", field="version")
    if "statement" not in decoded:
        raise PolicyError("is required", field="statement")
    raw_statements = decoded["statement"]
    if not isinstance(raw_statements, (list, tuple)):
        raise PolicyError(f"must be a list of statements, got {_type_name(raw_statements)}", field="statement")
    if not raw_statements:
        raise PolicyError("must contain at least one statement", field="statement")
    statements = tuple(_parse_statement(index, raw) for index, raw in enumerate(raw_statements))
    return Policy(statements=statements, version=VERSION)


def _parse_statement(index: int, raw: Any) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"must be an object, got {_type_name(raw)}", statement=index)
    for name in raw:
        if name not in STATEMENT_FIELDS:
            raise PolicyError(f"unknown field {name!r} (allowed: {', '.join(STATEMENT_FIELDS)})", statement=index)
    for name in ("effect", "action", "resource"):
        if name not in raw:
            raise PolicyError("is required", statement=index, field=name)
    effect = raw["effect"]
    if not isinstance(effect, str) or effect.lower() not in EFFECTS:
        raise PolicyError(f"must be 'allow' or 'deny', got {_show(effect)}", statement=index, field="effect")
    actions = _string_list(index, "action", raw["action"])
    for action in actions:
        if action != "*" and not ACTION_RE.fullmatch(action):
            raise PolicyError(
                f"must be '*', 'name/cos:<Operation>' or 'name/sts:<Operation>', got {action!r}",
                statement=index,
                field="action",
            )
    resources = _string_list(index, "resource", raw["resource"])
    for resource in resources:
        if resource != "*" and not resource.startswith(RESOURCE_PREFIX):
            raise PolicyError(
                f"must be '*' or a resource name starting with {RESOURCE_PREFIX!r}, got {resource!r}",
                statement=index,
                field="resource",
            )
    conditions = _parse_conditions(index, raw["condition"]) if "condition" in raw else ()
    return Statement(effect=effect.lower(), actions=actions, resources=resources, conditions=conditions)


def _string_list(index: int, name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        message = f"must be a string or a list of strings, got {_type_name(value)}"
        raise PolicyError(message, statement=index, field=name)
    if not value:
        raise PolicyError("must not be an empty list", statement=index, field=name)
    for item in value:
        if not isinstance(item, str):
            raise PolicyError(f"entries must be strings, got {_show(item)}", statement=index, field=name)
        if not item:
            raise PolicyError("entries must not be empty strings", statement=index, field=name)
    return tuple(value)


def _parse_conditions(index: int, block: Any) -> tuple[Condition, ...]:
    def fail(message: str) -> PolicyError:
        return PolicyError(message, statement=index, field="condition")

    if not isinstance(block, Mapping):
        raise fail(f"must be an object {{operator: {{key: value}}}}, got {_type_name(block)}")
    if not block:
        raise fail("must not be empty")
    conditions = []
    for operator, keys in block.items():
        if operator not in OPERATORS:
            raise fail(f"unknown operator {operator!r} (allowed: {', '.join(OPERATORS)})")
        if not isinstance(keys, Mapping):
            raise fail(f"operator {operator!r}: must be an object {{key: value}}, got {_type_name(keys)}")
        if not keys:
            raise fail(f"operator {operator!r}: must name at least one key")
        for key, raw_values in keys.items():
            where = f"operator {operator!r}, key {key!r}"
            if key not in KEY_OPERATORS:
                raise fail(f"{where}: unknown key (allowed: {', '.join(KEY_OPERATORS)})")
            if operator not in KEY_OPERATORS[key]:
                raise fail(f"{where}: operator not valid for this key (allowed: {', '.join(KEY_OPERATORS[key])})")
            values = raw_values if isinstance(raw_values, (list, tuple)) else [raw_values]
            if not values:
                raise fail(f"{where}: must not be an empty list")
            parsed = tuple(_condition_value(operator, where, value, fail) for value in values)
            conditions.append(Condition(operator, key, parsed))
    return tuple(conditions)


def _condition_value(operator: str, where: str, value: Any, fail: Callable[[str], PolicyError]) -> str:
    if operator in NUMERIC_OPERATORS:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise fail(f"{where}: value must be a number, got {_show(value)}")
        number = _number(value)
        if number is None:
            raise fail(f"{where}: value must be a number, got {_show(value)}")
        return str(value).strip()
    if not isinstance(value, str):
        raise fail(f"{where}: value must be a string, got {_show(value)}")
    if operator in IP_OPERATORS:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise fail(f"{where}: value must be an IP address or CIDR network, got {value!r}") from None
    elif not value:
        raise fail(f"{where}: value must not be an empty string")
    return value


def _number(value: int | float | str) -> Decimal | None:
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# ------------------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class RequestContext:
    """What a condition may look at. None means "not known" (a condition needing it does not hold)."""

    content_length: int | None = None
    content_type: str | None = None
    ip: str | None = None
    acl: str | None = None

    def get(self, key: str) -> int | str | None:
        if key == CONTENT_LENGTH:
            return self.content_length
        if key == CONTENT_TYPE:
            return self.content_type
        if key == CLIENT_IP:
            return self.ip
        if key == ACL:
            return self.acl
        return None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    statement: int | None  # 0-based index of the deciding statement, None for an implicit deny
    effect: str | None  # "allow" / "deny" of that statement
    reason: str
    missing_context: tuple[str, ...] = ()
    policy: int | None = None  # evaluate_all: 0-based index of the deciding policy


def glob_match(pattern: str, value: str) -> bool:
    """`*` matches any run of characters, including "/" and the empty string; every other character is literal.

    Linear in practice: the literal pieces between stars are found left to right with str.find, which is optimal
    for star-only globs (an earlier match never prevents a later piece from matching).
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return pattern == value
    first, last = pieces[0], pieces[-1]
    if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for piece in pieces[1:-1]:
        if not piece:
            continue
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def action_matches(pattern: str, action: str) -> bool:
    """ "*", "name/cos:*" and exact names (case-sensitive); a `*` inside ("name/cos:Get*") is a glob too."""
    return glob_match(pattern, action)


def resource_name(region: str, appid: str, bucket: str, key: str = "") -> str:
    """The CAM resource of a bucket ("<bucket-appid>/") or of an object or prefix in it."""
    return f"qcs::cos:{region}:uid/{appid}:{bucket}/{key}"


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
        number = _number(actual) if isinstance(actual, (int, str)) else None
        if number is None:
            return False
        limits = [limit for limit in (_number(value) for value in condition.values) if limit is not None]
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


# -------------------------------------------------------------------------------------------------------- templates


def substitute(template: str | Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """Fill ${username}, ${user_id} and ${appid} into every string of a policy template (JSON text or mapping).

    Values go in literally, into the decoded structure (never into JSON text), and may not contain '*', so a user
    name can never widen a resource. An unknown ${name}, a missing or unsafe value is a PolicyError.
    """
    decoded = _json_object(template, "policy template")
    for name in variables:
        if name not in VARIABLES:
            raise PolicyError(f"unknown variable ${{{name}}} (known: {_known_variables()})")

    def fill(text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                raise PolicyError(f"unterminated variable in {text!r} (write ${{name}})")
            if name not in VARIABLES:
                raise PolicyError(f"unknown variable ${{{name}}} (known: {_known_variables()})")
            if name not in variables:
                raise PolicyError(f"no value given for ${{{name}}}")
            value = variables[name]
            if not isinstance(value, str) or not value:
                raise PolicyError(f"value of ${{{name}}} must be a non-empty string")
            if "*" in value:
                raise PolicyError(f"value of ${{{name}}} must not contain '*', got {value!r}")
            return value

        return VARIABLE_RE.sub(replace, text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fill(value)
        if isinstance(value, Mapping):
            return {fill(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        return value

    result: dict[str, Any] = walk(decoded)
    return result


def _known_variables() -> str:
    return ", ".join(f"${{{name}}}" for name in VARIABLES)


__all__ = [
    "Condition",
    "Decision",
    "Policy",
    "PolicyError",
    "RequestContext",
    "Statement",
    "action_matches",
    "evaluate",
    "evaluate_all",
    "glob_match",
    "parse_policy",
    "resource_name",
    "substitute",
]
