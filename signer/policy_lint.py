"""Warnings about policies that are valid but probably not what their author meant.

A variable that names a person (`${username}`, `${user_id}`, `${jwt:<claim>}`) and is followed by anything but a
separator lets one person reach another's objects: `users/${username}*` renders as `users/al*` for al, which matches
`users/alice/...`. Followed by `/` (a folder of their own), or ending the resource (one object), it cannot.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

_PERSON = re.compile(r"\$\{(username|user_id|jwt:[^}]+)\}(.?)")
SEPARATORS = frozenset({"/", ""})


def _resources(statements: Any) -> list[str]:
    found: list[str] = []
    for statement in statements if isinstance(statements, list) else []:
        resource = statement.get("resource") if isinstance(statement, dict) else None
        values = [resource] if isinstance(resource, str) else resource if isinstance(resource, list) else []
        found.extend(value for value in values if isinstance(value, str))
    return found


def unseparated_variables(statements: Any) -> list[str]:
    """One warning per resource where a person's variable is not followed by a separator."""
    warnings = []
    for resource in _resources(statements):
        for match in _PERSON.finditer(resource):
            if match.group(2) not in SEPARATORS:
                variable = match.group(1)
                warnings.append(
                    _(
                        "In %(resource)s, %(variable)s is followed by %(next)s, not by '/': a user whose name begins "
                        "another's (al, alice) would reach the other's objects. Write %(variable)s/ for a folder of "
                        "their own."
                    )
                    % {"resource": repr(resource), "variable": f"${{{variable}}}", "next": repr(match.group(2))}
                )
                break
    return warnings
