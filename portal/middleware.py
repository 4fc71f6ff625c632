"""Answers for failures of the platform itself, so a client gets a clear status instead of a traceback page; and the
viewer's time zone, so pages show times as the person reading them counts them."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import timezone, translation
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

API_LANGUAGE = "en"


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached answers 503 on pages (the API answers 503 JSON in its own handler).

    Sessions and users are loaded lazily inside the view, so their connection errors arrive here too. The page is
    rendered without a request context: it must not touch the user or the session, which need the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s on %s %s", type(exception).__name__, request.method, request.path)
        response = HttpResponse(loader.get_template("503.html").render({}), status=503)
        response["Retry-After"] = "30"
        return response


TZ_COOKIE = "tz"


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """The IANA names this machine knows; a cookie is only ever compared with them, never opened as a path."""
    return frozenset(zoneinfo.available_timezones())


def zone_from_cookie(value: str | None) -> zoneinfo.ZoneInfo | None:
    if not value or len(value) > 64 or value not in known_zones():
        return None
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    """Activates the zone the browser reported in the tz cookie (static/demo/js/locale.js sets it from
    Intl.DateTimeFormat); without a valid one, pages stay in settings.TIME_ZONE (UTC) and say so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_from_cookie(request.COOKIES.get(TZ_COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        return self.get_response(request)


class ApiInEnglishMiddleware:
    """The JSON API answers in English whatever Accept-Language says: DRF would otherwise translate its own messages
    ("Authentication credentials were not provided.") but not the portal's, and clients decide on codeDesc anyway.
    Pages keep the language LocaleMiddleware chose."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], view_args: object, view_kwargs: object
    ) -> None:
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            translation.activate(API_LANGUAGE)
            request.LANGUAGE_CODE = API_LANGUAGE
