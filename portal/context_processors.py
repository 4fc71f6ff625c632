from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page shows: the mode the portal runs in, and whether single sign-on is offered."""
    return {
        "cloud_backend": settings.CLOUD_BACKEND,
        "local_mode": settings.LOCAL_MODE,
        "sso_enabled": bool(settings.OIDC_RP_CLIENT_ID),
        "sso_name": settings.OIDC_PROVIDER_NAME,
    }
