"""Answers for failures of the platform itself, so a client gets a clear status instead of a traceback page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)


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
