"""Share links: a presigned GET someone else can follow without signing in, for a chosen time.

A link signed with temporary credentials carries their x-cos-security-token, and COS refuses it once the credentials
expire whatever the link's own q-sign-time says. So the longest link is the shorter of what is left of the signed-in
user's credentials and settings.DEMO_SHARE_MAX_SECONDS; a longer preset is offered disabled, with the reason.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from demo import cos
from demo.access import UserAccess
from demo.views import content_disposition

PRESETS = (
    (300, gettext_lazy("5 minutes")),
    (3600, gettext_lazy("1 hour")),
    (86400, gettext_lazy("1 day")),
    (604800, gettext_lazy("7 days")),
)


@dataclass(frozen=True)
class ShareChoice:
    seconds: int
    label: str
    allowed: bool
    reason: str  # why not, when not allowed


@dataclass(frozen=True)
class ShareLink:
    url: str
    seconds: int
    expires_at: datetime


def _moment(epoch: int) -> str:
    local = timezone.localtime(datetime.fromtimestamp(epoch, tz=UTC))
    return f"{local:%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


def duration_label(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def share_cap(access: UserAccess, now: float | None = None) -> tuple[int, str]:
    """The longest link these credentials may sign now, and why it is not longer."""
    now = time.time() if now is None else now
    left = max(0, int(access.credentials.expired_time - now))
    limit = int(settings.DEMO_SHARE_MAX_SECONDS)
    if left < limit:
        return left, _(
            "Your temporary credentials expire at %(time)s, and a link signed with them stops working then."
        ) % {"time": _moment(access.credentials.expired_time)}
    return limit, _("Links last at most %(duration)s here (DEMO_SHARE_MAX_SECONDS).") % {
        "duration": duration_label(limit)
    }


def share_choices(access: UserAccess, now: float | None = None) -> list[ShareChoice]:
    cap, why = share_cap(access, now)
    return [
        ShareChoice(seconds, str(label), seconds <= cap, "" if seconds <= cap else why) for seconds, label in PRESETS
    ]


class ShareRefused(Exception):
    """A share link that may not be made (not a preset, or longer than the cap); the message says why."""


def share_link(
    access: UserAccess, *, region: str, bucket: str, key: str, seconds: int, now: float | None = None
) -> ShareLink:
    """A download link for `key` valid `seconds` from now, signed with the user's temporary credentials."""
    now = time.time() if now is None else now
    choice = next((c for c in share_choices(access, now) if c.seconds == seconds), None)
    if choice is None:
        raise ShareRefused(_("Pick one of the offered lifetimes."))
    if not choice.allowed:
        raise ShareRefused(
            _("A link for %(duration)s cannot be made: %(reason)s")
            % {"duration": choice.label, "reason": choice.reason}
        )
    url = cos.presign_get(
        access.keys,
        region=region,
        bucket=bucket,
        key=key,
        expires=seconds,
        params={"response-content-disposition": content_disposition(posixpath.basename(key))},
    )
    return ShareLink(url=url, seconds=seconds, expires_at=datetime.fromtimestamp(int(now) + seconds, tz=UTC))
