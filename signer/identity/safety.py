"""Which claim values may stand for a person inside a policy: a subject becomes part of a user name, and both may
be substituted into COS keys and CAM resources (`users/${username}/`, `${jwt:email}`).

Only a conservative literal is accepted, never escaped or rewritten: letters, digits and `. _ @ + -`, 1 to 64
characters, not only dots. That leaves out, each for a reason: `*` and `?` (globs in CAM resources), `/` (a
subject `alice/x` would own a folder inside `users/alice/`), `$` `{` `}` (the policy variable syntax), `:` (the
separator of a CAM resource name), `%` `#` `&` `=` and spaces (they change meaning in URLs and query strings),
quotes, backslashes and control characters, and non-ASCII (look-alike letters, normalisation). A name of dots alone
(`.`, `..`) reads as a path step to some clients. Emails (`alice+cos@example.com`) and UUIDs pass.
"""

from __future__ import annotations

import re
from typing import TypeGuard

MAX_LENGTH = 64
SAFE = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


def is_safe_literal(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and SAFE.fullmatch(value) is not None and value.strip(".") != ""


def safe_claims(claims: dict[str, object]) -> dict[str, str]:
    """The claims a policy may use as `${jwt:<name>}`: string values that are safe literals, under safe names."""
    return {name: value for name, value in claims.items() if is_safe_literal(name) and is_safe_literal(value)}
