"""{% policy_in_use as name %}: the policy the pages use for the signed-in user (demo.access), for the header."""

from __future__ import annotations

import logging
from typing import Any

from django import template

from demo.access import policy_in_use

logger = logging.getLogger(__name__)

register = template.Library()


@register.simple_tag(name="policy_in_use", takes_context=True)
def policy_in_use_tag(context: dict[str, Any]) -> str | None:
    request = context.get("request")
    if request is None:
        return None
    try:
        return policy_in_use(request)
    except Exception:  # noqa: BLE001 - the header never breaks a page, least of all the one saying Redis is down
        logger.warning("the policy in use could not be read for the header", exc_info=True)
        return None
