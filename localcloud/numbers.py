"""Numbers in client input, read strictly.

`str.isdigit()` accepts characters `int()` refuses ('²') and `int()` refuses more than 4300 digits, so neither may
guard the other: a number here is ASCII digits only, and at most `max_digits` of them.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def ascii_int(text: str, max_digits: int) -> int | None:
    """The non-negative integer `text` spells in 1..max_digits ASCII digits (no sign, space or `_`), else None."""
    if len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)
