"""Who is calling: the one place that decides how far X-Forwarded-For is trusted."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, trusting X-Forwarded-For only as far as NUM_PROXIES says (as DRF's throttles do).

    With NUM_PROXIES=0 the header is ignored (anyone can forge it); with N proxies the N-th address from the right is
    the one the nearest trusted proxy saw."""
    forwarded: str | None = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies: int = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if forwarded and proxies:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote or None
