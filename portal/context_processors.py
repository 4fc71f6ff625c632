from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page shows: the mode the portal runs in."""
    return {"cloud_backend": settings.CLOUD_BACKEND, "local_mode": settings.LOCAL_MODE}
