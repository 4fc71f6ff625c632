"""The sign-in form, slowed down for guessers: after SIGNER_LOGIN_RATE failed attempts from one address (the same
rate the API's /api/auth/login uses), further attempts are refused with 429 until the failures have slid out of the
period (the API throttle's sliding-window estimate, signer/throttling.py)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from signer.throttling import sliding_estimate, sliding_wait

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/min" -> (10, 60), DRF's spelling."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS.get(period.strip().lower(), 60)


def _windows(request: HttpRequest, period: int) -> tuple[str, str, float]:
    """(this window's key, the previous window's key, seconds into this window).

    Fixed windows numbered by our own clock, not the cache's expiry: the count is atomic (add + incr) on every
    backend, and a window ends at the same moment for every worker whatever clock Redis keeps."""
    now = time.time()
    window = int(now // period)
    base = f"demo:login-failures:{request.META.get('REMOTE_ADDR', '')}"
    return f"{base}:{window}", f"{base}:{window - 1}", now - window * period


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit, period = parse_rate(settings.SIGNER_LOGIN_RATE)
        key, previous_key, elapsed = _windows(request, period)
        counts = cache.get_many([key, previous_key])
        current, previous = int(counts.get(key, 0)), int(counts.get(previous_key, 0))
        if not sliding_estimate(limit, 1.0 - elapsed / period, current, previous):
            wait = sliding_wait(limit, period, elapsed, current, previous)
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"Too many failed sign-ins from your address. Try again in {wait} seconds.")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: a failed attempt
            cache.add(key, 0, timeout=2 * period)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=2 * period)
        return response
