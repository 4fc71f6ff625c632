"""GET /healthz: database, cache and cloud, each checked for real, 200 only when all are up."""

from __future__ import annotations

import socket
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def sts_address() -> tuple[str, int]:
    """Host and port of the STS endpoint the signer calls in this mode."""
    if settings.LOCAL_MODE:
        parts = urlsplit(settings.LOCALCLOUD_URL)
        return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
    return settings.STS_ENDPOINT, 443


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return "ok" if ok else "cache did not return what was stored"


def _check_cloud() -> str:
    host, port = sts_address()
    with socket.create_connection((host, port), timeout=min(settings.STS_TIMEOUT, 2.0)):
        return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database, "cache": _check_cache, "cloud": _check_cloud}
    status: dict[str, str] = {}
    for name, check in checks.items():
        try:
            status[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure, whatever its kind
            status[name] = f"down: {type(exc).__name__}"
    healthy = all(value == "ok" for value in status.values())
    body = {"status": "ok" if healthy else "degraded", "checks": status, "backend": settings.CLOUD_BACKEND}
    return JsonResponse(body, status=200 if healthy else 503)
