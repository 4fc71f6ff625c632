"""The API's throttle: /sign and /sts per user (per client address for anonymous callers), login per address.

One cache round trip per request (a sliding-window counter, signer/sliding_window.py), where DRF's own throttles make
two; on Redis the policy cache's version and the caller's revocation epoch, which /sign and /sts read next, come
back in the same round trip.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from signer.net import client_ip
from signer.policy_cache import POLICY_VERSION_KEY
from signer.revocation import epoch_key
from signer.sliding_window import Count, SlidingWindow, parse_rate

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
        self.count = window.take(read_along=read_along if scope == "sign" else [])
        return self.count.allowed

    def wait(self) -> float | None:
        """Seconds until the next request fits, if no other comes (Retry-After)."""
        return self.count.wait() if self.count is not None else None

    def policy_cache_version(self) -> str | None:
        """The policy cache's version if it was read along with the count (on Redis, for /sign and /sts)."""
        return self.read_along(POLICY_VERSION_KEY)

    def read_along(self, key: str) -> str | None:
        """A value read along with the count (on Redis, for /sign and /sts): the policy cache's version, the
        caller's revocation epoch (signer/revocation.py)."""
        value = self.count.read.get(key) if self.count is not None else None
        return value if isinstance(value, str) else None
