"""The sign-in form, slowed down for guessers: after SIGNER_LOGIN_RATE failed attempts from one client address (the
same rate the API's /api/auth/login uses), further attempts are refused with 429 until the failures have slid out of
the period (the API throttle's sliding-window counter, signer/sliding_window.py). The address is the client's, as
far as NUM_PROXIES trusts X-Forwarded-For (signer/net.py): behind a proxy, one guesser does not lock everyone out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from signer import refusals
from signer.identity.sso_forms import PasswordLoginForm
from signer.net import client_ip
from signer.sliding_window import SlidingWindow, parse_rate


def _failures(request: HttpRequest) -> SlidingWindow:
    limit, period = parse_rate(settings.SIGNER_LOGIN_RATE)
    return SlidingWindow(f"demo:login-failures:{client_ip(request) or ''}", limit, period)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form: type[AuthenticationForm] = PasswordLoginForm  # refuses staff when SSO is required for them

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        failures = _failures(request)
        seen = failures.peek()
        if not seen.allowed:
            refusals.throttled(request, "login_form")
            wait = seen.wait()
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                ngettext(
                    "Too many failed sign-ins from your address. Try again in %(wait)d second.",
                    "Too many failed sign-ins from your address. Try again in %(wait)d seconds.",
                    wait,
                )
                % {"wait": wait},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: a failed attempt
            failures.add()
        return response
