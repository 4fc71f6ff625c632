"""{% localcloud_down code as down %}: the local-mode hint for a page that shows a COS or STS code (demo.errors)."""

from __future__ import annotations

from django import template

from demo.errors import LocalcloudDown, localcloud_down

register = template.Library()


@register.simple_tag(name="localcloud_down")
def localcloud_down_tag(code: object) -> LocalcloudDown | None:
    return localcloud_down(str(code or ""))
