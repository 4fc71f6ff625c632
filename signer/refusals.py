"""The audit of refusals: failed sign-ins, rejected tokens, scopes and policies refused, policy-less users, throttled
callers.

Each is one Refusal row (signer.models) with the user if known, the client's address (signer.net.client_ip, so
through NUM_PROXIES), the reason and the time, written where the refusal is decided:

- failed sign-ins, from Django's `user_login_failed` signal: the API's /api/auth/login, the pages' sign-in form and
  the admin's all authenticate through `django.contrib.auth.authenticate`, which sends it;
- rejected knox tokens and Bearer ID tokens, policy-less users, scopes refused and policies asked for by a name that
  is not the caller's, from the API's exception handler
  (signer/exception_handlers.py), and for the pages from demo.errors.demo_view;
- throttled callers, from the throttle (signer/throttling.py).

A caller who repeats a refusal (a guesser, a client retrying into its rate limit, a policy-less user reloading a page)
would write a row per request: rows are written per (kind, client address) at most at SIGNER_REFUSAL_AUDIT_RATE, the
same sliding window the throttle counts with; the metric portal_refusals_total{kind} counts every refusal. Writing
a refusal never changes the answer: a database or cache that fails here is logged, and the refusal still answers.

No secret reaches a row: a failed sign-in keeps the name given, never the password (Django's signal already masks
it); a rejected token keeps the reason, never the token.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from rest_framework import exceptions

from signer import metrics
from signer.errors import NoPolicy, ScopeNotAllowed, UnknownPolicy
from signer.models import Refusal
from signer.net import client_ip
from signer.sliding_window import SlidingWindow, parse_rate

logger = logging.getLogger(__name__)

Kind = Refusal.Kind
_WINDOW_FORMAT = "refusal:%(kind)s:%(ip)s"


def record(kind: str, request: HttpRequest | None, reason: str, *, username: str = "") -> bool:
    """Audit one refusal (unless this address is over the audit's rate for this kind); whether a row was written."""
    metrics.refused(kind)
    try:
        return _write(kind, request, reason, username=username)
    except Exception:  # noqa: BLE001 - the audit of a refusal must not turn the refusal into a 500
        logger.warning("refusal %s could not be audited", kind, exc_info=True)
        return False


def _write(kind: str, request: HttpRequest | None, reason: str, *, username: str) -> bool:
    ip = client_ip(request) if request is not None else None
    limit, duration = parse_rate(str(settings.SIGNER_REFUSAL_AUDIT_RATE))
    if not SlidingWindow(_WINDOW_FORMAT % {"kind": kind, "ip": ip or "-"}, limit, duration).take().allowed:
        return False
    user = getattr(request, "user", None) if request is not None else None
    known = user if user is not None and user.is_authenticated else None
    meta = request.META if request is not None else {}
    Refusal.objects.create(
        kind=kind,
        user=known,
        username=(username or (known.get_username() if known is not None else ""))[:150],
        client_ip=ip,
        reason=reason[:300],
        path=(request.path if request is not None else "")[:200],
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:300],
    )
    return True


def throttled(request: HttpRequest, scope: str) -> None:
    """A request over its rate limit (the throttle's `scope`: sign, sign_anon or login)."""
    metrics.throttled(scope)
    record(Kind.THROTTLED, request, f"over the {scope} rate limit")


def refused_by_exception(exc: Exception, request: HttpRequest | None) -> None:
    """The refusals an exception means: a token rejected, no policy, a scope not allowed, a policy that is not the
    caller's (someone trying names); others are not audited."""
    if isinstance(exc, NoPolicy):
        record(Kind.NO_POLICY, request, exc.message)
    elif isinstance(exc, ScopeNotAllowed):
        record(Kind.SCOPE_REFUSED, request, exc.message)
    elif isinstance(exc, UnknownPolicy):
        record(Kind.POLICY_REFUSED, request, exc.message)
    elif isinstance(exc, exceptions.AuthenticationFailed):
        record(Kind.TOKEN_REJECTED, request, f"{_scheme(request)}: {exc.detail}")


def _scheme(request: HttpRequest | None) -> str:
    header = str(request.META.get("HTTP_AUTHORIZATION", "")) if request is not None else ""
    return header.split(" ", 1)[0][:20] or "token"


@receiver(user_login_failed, dispatch_uid="signer-refusal-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = credentials.get("username")
    record(Kind.LOGIN_FAILED, request, "wrong username or password", username=str(username or ""))
