"""Template helpers that show a page as its reader expects: region names in their language, times in their zone.

{% load localise %}
{{ region|region_label }}          广州
{% local_time obj.last_modified %} <time datetime="2026-12-01T07:36:00+00:00">2026-12-01 15:36 (Asia/Shanghai)…
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from demo.regions_i18n import local_region_name
from demo.templatetags.demo_tags import human_size

register = template.Library()


@register.filter
def region_label(code: str) -> str:
    return local_region_name(code)


# The same filter under the name the templates that load localise use.
register.filter("file_size", human_size)


def as_datetime(value: object) -> datetime | None:
    """An aware datetime from a datetime or an ISO-8601 string (COS's LastModified); None for anything else.

    A time without an offset is read as UTC, the zone COS and the database keep times in.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


@register.filter
def local_datetime(value: object) -> datetime | None:
    """The value as an aware datetime in the viewer's zone (for templates that format it themselves)."""
    moment = as_datetime(value)
    return timezone.localtime(moment) if moment is not None else None


@register.simple_tag
def local_time(value: object, fmt: str = "Y-m-d H:i", empty: str = "—") -> SafeString | str:
    """A <time> element: the moment in the viewer's zone, the zone named after it, the exact UTC instant in datetime."""
    moment = as_datetime(value)
    if moment is None:
        return empty
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="tz">({})</span></time>',
        moment.astimezone(UTC).isoformat(),
        format_date(local, "Y-m-d H:i:s O"),
        format_date(local, fmt),
        timezone.get_current_timezone_name(),
    )
