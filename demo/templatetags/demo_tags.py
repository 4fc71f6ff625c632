from __future__ import annotations

from django import template
from django.utils.translation import ngettext

register = template.Library()

UNITS = ("KiB", "MiB", "GiB", "TiB")


@register.filter
def human_size(size: int | None) -> str:
    """1536 -> "1.5 KiB", 12582912 -> "12 MiB": binary units, as the upload panel shows them; "5 bytes" / "5 字节"
    in the reader's language (KiB, MiB ... read the same everywhere)."""
    if size is None:
        return "—"
    if size < 1024:
        return ngettext("%(count)d byte", "%(count)d bytes", size) % {"count": size}
    value = float(size) / 1024
    index = 0
    while value >= 1024 and index < len(UNITS) - 1:
        value /= 1024
        index += 1
    unit = UNITS[index]
    shown = f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
    return f"{shown} {unit}"
