"""Policy templates: ${username}, ${user_id}, ${appid} and ${jwt:<claim>} filled into a policy, safely."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from qcloud.policy.model import PolicyError
from qcloud.policy.parse import json_object

VARIABLES = ("username", "user_id", "appid")
# A claim of the caller's ID token (identities that signed in through an identity provider), as MinIO's ${jwt:sub}.
JWT_VARIABLE = re.compile(r"jwt:[A-Za-z0-9._@+-]{1,64}", re.ASCII)
VARIABLE_RE = re.compile(r"\$\{([^}]*)\}|\$\{")  # the bare "${" catches an unterminated variable


def substitute(template: str | Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """Fill ${username}, ${user_id} and ${appid} into every string of a policy template (JSON text or mapping).

    Values go in literally, into the decoded structure (never into JSON text), and may not contain '*' or '?', so a
    user name or a claim can never widen a resource. An unknown ${name}, a missing or unsafe value is a PolicyError.
    """
    decoded = json_object(template, "policy template")
    for name in variables:
        _check_known(name)
    result: dict[str, Any] = _walk(decoded, variables)
    return result


def _walk(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _fill(value, variables)
    if isinstance(value, Mapping):
        return {_walk(k, variables): _walk(v, variables) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(item, variables) for item in value]
    return value


def _fill(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            raise PolicyError(f"unterminated variable in {text!r} (write ${{name}})")
        return _value_of(name, variables)

    return VARIABLE_RE.sub(replace, text)


def _value_of(name: str, variables: Mapping[str, str]) -> str:
    _check_known(name)
    if name not in variables:
        raise PolicyError(f"no value given for ${{{name}}}")
    value = variables[name]
    if not isinstance(value, str) or not value:
        raise PolicyError(f"value of ${{{name}}} must be a non-empty string")
    if "*" in value or "?" in value:
        raise PolicyError(f"value of ${{{name}}} must not contain '*' or '?', got {value!r}")
    return value


def template_variables(template: str | Mapping[str, Any]) -> set[str]:
    """The ${names} a template uses (for filling it with sample values before it is saved)."""
    text = template if isinstance(template, str) else json.dumps(template)
    return {name for name in VARIABLE_RE.findall(text) if name}


def _check_known(name: str) -> None:
    if name not in VARIABLES and not JWT_VARIABLE.fullmatch(name):
        known = ", ".join([*(f"${{{variable}}}" for variable in VARIABLES), "${jwt:<claim>}"])
        raise PolicyError(f"unknown variable ${{{name}}} (known: {known})")
