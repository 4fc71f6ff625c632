"""The API's throttles: /sign and /sts per user (per client address for anonymous callers), login per address, and
new STS calls per user.

What costs is a new STS call (Tencent's quota is 600 per second for the whole account) and a password guess; an answer
from the credential cache costs a cache lookup. So /sign and /sts answers are counted loosely (SIGNER_RATE, generous:
a page uploading a folder asks a few times, an app may ask once per request), and the answers that need a new STS
call (a cache miss: a new policy, a new set of scopes, a credential near its expiry) are counted on their own and
tightly (SIGNER_STS_RATE, `sts_budget_take`, called by the credential cache only when it is about to call STS).

One cache round trip per request (a sliding-window counter, signer/sliding_window.py), where DRF's own throttles make
two; on Redis the policy cache's version and the caller's revocation epoch, which /sign and /sts read next, come
back in the same round trip. When the view has an answer its worker remembers (`view.remembered`, a
services.Remembered), the same round trip also writes that answer's audit row, if the version and the epoch are
still the ones the answer was resolved under (signer/api.py).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from signer import audit, refusals
from signer.errors import StsThrottled
from signer.net import client_ip
from signer.policy_cache import POLICY_VERSION_KEY
from signer.revocation import epoch_key
from signer.sliding_window import Count, Push, SlidingWindow, parse_rate

CACHE_FORMAT = "throttle:%(scope)s:%(ident)s"
# The view's `throttle_scope` -> the setting holding its rate (read on every request, as DRF's ScopedRateThrottle).
RATES = {"sign": "SIGNER_RATE", "sign_anon": "SIGNER_ANON_RATE", "login": "SIGNER_LOGIN_RATE"}


class SignerRateThrottle(BaseThrottle):
    """Scope "sign" per user, "sign_anon" per client address for anonymous callers, "login" per client address."""

    def __init__(self) -> None:
        self.count: Count | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope: str | None = getattr(view, "throttle_scope", None)
        authenticated = bool(request.user and request.user.is_authenticated)
        if scope == "sign" and not authenticated:
            scope = "sign_anon"
        if not scope:
            return True
        limit, duration = parse_rate(str(getattr(settings, RATES[scope])))
        # As DRF's ScopedRateThrottle: the user when authenticated, the client's address otherwise.
        ident = str(request.user.pk) if authenticated else client_ip(request) or ""
        window = SlidingWindow(CACHE_FORMAT % {"scope": scope, "ident": ident}, limit, duration)
        read_along = [POLICY_VERSION_KEY, *([epoch_key(request.user.pk)] if authenticated else [])]
        remembered = getattr(view, "remembered", None) if scope == "sign" else None
        push = Push(audit.OUTBOX, remembered.audit_row, remembered.expect) if remembered is not None else None
        self.count = window.take(read_along=read_along if scope == "sign" else [], push=push)
        if not self.count.allowed:
            refusals.throttled(request, scope)
        return self.count.allowed

    def wait(self) -> float | None:
        """Seconds until the next request fits, if no other comes (Retry-After)."""
        return self.count.wait() if self.count is not None else None

    def recorded(self) -> bool:
        """Whether the count also wrote the audit row of the view's remembered answer (which may then be given)."""
        return self.count is not None and self.count.pushed

    def policy_cache_version(self) -> str | None:
        """The policy cache's version if it was read along with the count (on Redis, for /sign and /sts)."""
        return self.read_along(POLICY_VERSION_KEY)

    def read_along(self, key: str) -> str | None:
        """A value read along with the count (on Redis, for /sign and /sts): the policy cache's version, the
        caller's revocation epoch (signer/revocation.py)."""
        value = self.count.read.get(key) if self.count is not None else None
        return value if isinstance(value, str) else None


def sts_budget_take(ident: str) -> None:
    """Count one new STS call for `ident` (a user, or an anonymous caller's address); StsThrottled (429) when over
    SIGNER_STS_RATE."""
    limit, duration = parse_rate(str(settings.SIGNER_STS_RATE))
    count = SlidingWindow(CACHE_FORMAT % {"scope": "sts", "ident": ident}, limit, duration).take()
    if not count.allowed:
        raise StsThrottled(
            f"Too many new credentials asked for (over {settings.SIGNER_STS_RATE}): reuse the credentials you have "
            "until they expire, or ask without scopes.",
            wait=count.wait(),
        )
