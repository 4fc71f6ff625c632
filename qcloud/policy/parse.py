"""Parsing CAM policies from JSON text or decoded mappings; PolicyError says exactly what is wrong and where."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from qcloud.policy.model import (
    EFFECTS,
    IP_OPERATORS,
    KEY_OPERATORS,
    NUMERIC_OPERATORS,
    OPERATORS,
    POLICY_FIELDS,
    STATEMENT_FIELDS,
    VERSION,
    Condition,
    Policy,
    PolicyError,
    Statement,
    to_number,
)

ACTION_RE = re.compile(r"name/(cos|sts):[A-Za-z*]+")
RESOURCE_PREFIX = "qcs::"


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


def json_object(data: str | bytes | Mapping[str, Any], what: str) -> Mapping[str, Any]:
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
    decoded = json_object(data, "policy")
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
        if to_number(value) is None:
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
