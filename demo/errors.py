"""How the demo's pages fail: the permission a refusal lacks, the error pages, and the view wrapper that shows
signer failures as a page."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from demo import cos
from qcloud.operations import action_for
from signer import refusals
from signer.errors import SignerError


@dataclass(frozen=True)
class Denied:
    """What to tell a user when COS says AccessDenied: the permission their policy lacks, and where."""

    operation: str
    resource: str

    @property
    def action(self) -> str:
        return action_for(self.operation)


# Codes that mean "nothing answered": in local mode that is localcloud, which a developer can restart themselves.
UNANSWERED = frozenset({"StsUnavailable", "CosUnavailable"})


@dataclass(frozen=True)
class LocalcloudDown:
    """What to tell a developer when localcloud does not answer: where it should be and how to start it again."""

    url: str
    command: str


def localcloud_down(code: str) -> LocalcloudDown | None:
    """The hint for a page showing `code`, in local mode when the code says STS or COS did not answer; else None."""
    if not settings.LOCAL_MODE or code not in UNANSWERED:
        return None
    # `manage.py localcloud` takes its port and data folder from the settings, so it is the same localcloud again.
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path(settings.BASE_DIR)))
    except ValueError:
        shown = "python"
    return LocalcloudDown(url=settings.LOCALCLOUD_URL, command=f"{shown} manage.py localcloud")


def denied_page(request: HttpRequest, denied: Denied, message: str = "") -> HttpResponse:
    context = {"denied": denied, "message": message}
    return render(request, "demo/denied.html", context, status=403)


def signer_error_page(request: HttpRequest, exc: SignerError) -> HttpResponse:
    return render(request, "demo/unavailable.html", {"error": exc, "code": exc.code_desc}, status=exc.status)


def cos_error_page(request: HttpRequest, exc: cos.CosError, denied: Denied) -> HttpResponse:
    if exc.code == "AccessDenied":
        return denied_page(request, denied, exc.message)
    if exc.status == 404:
        raise Http404(exc.message)
    status = 503 if exc.status == 0 else 502
    return render(request, "demo/unavailable.html", {"error": exc, "code": exc.code}, status=status)


def error_status(error: cos.CosError | None) -> int:
    """The status of a page that shows a COS error next to what it could still render."""
    if error is None:
        return 200
    if error.code == "AccessDenied":
        return 403
    return 503 if error.status == 0 else 502


def demo_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required, never cached (pages show one user's data), and signer failures shown as a page."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SignerError as exc:
            refusals.refused_by_exception(exc, request)
            return signer_error_page(request, exc)

    return wrapper
