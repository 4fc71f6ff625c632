"""CAM's one wildcard: `*` matches any run of characters, including "/" and the empty string.

Policies (actions, resources, `string_like` conditions) and COS CORS rules (origins, headers) use the same glob.
"""

from __future__ import annotations


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
