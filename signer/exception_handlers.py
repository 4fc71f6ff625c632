"""The API's one error envelope: every error, ours or DRF's, answers its real HTTP status with
`{"code": <non-zero>, "message": "...", "codeDesc": "<Code>"}` (settings REST_FRAMEWORK["EXCEPTION_HANDLER"])."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from drf_spectacular.utils import extend_schema_serializer
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from signer.errors import SignerError, StsThrottled
from signer.serializers import AnswerSerializer

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "RequestEntityTooLarge"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "ServiceUnavailable"


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(AnswerSerializer[dict[str, Any]]):
    code = serializers.IntegerField(help_text="Non-zero: the HTTP status.")
    message = serializers.CharField()
    codeDesc = serializers.CharField(help_text="Stable code, e.g. NotAuthenticated, ScopeNotAllowed, AuthFailure.*")


def error_body(http_status: int, code_desc: str, message: str) -> dict[str, Any]:
    return dict(ErrorSerializer({"code": http_status, "message": message, "codeDesc": code_desc}).data)


def _flatten(detail: Any, path: str = "") -> list[str]:
    if isinstance(detail, dict):
        items: list[str] = []
        for name, value in detail.items():
            items.extend(_flatten(value, f"{path}.{name}" if path else str(name)))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            items.extend(_flatten(value, f"{path}[{index}]" if nested and path else path))
        return items
    text = str(detail)
    return [f"{path}: {text}" if path and path != "non_field_errors" else text]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, answering the `{code, message, codeDesc}` envelope with the real status and headers."""
    if isinstance(exc, SignerError):
        headers = {"Retry-After": str(exc.wait)} if isinstance(exc, StsThrottled) else None
        return Response(error_body(exc.status, exc.code_desc, exc.message), status=exc.status, headers=headers)
    if isinstance(exc, DatabaseError):
        logger.error("database unavailable: %s: %s", type(exc).__name__, str(exc)[:200])
        exc = ServiceUnavailable("The database is unavailable; try again shortly.", code="DatabaseUnavailable")
    elif isinstance(exc, RedisError):
        # Fail closed: without the shared cache there is no throttling and no single flight.
        logger.error("cache unavailable: %s: %s", type(exc).__name__, str(exc)[:200])
        exc = ServiceUnavailable("The cache is unavailable; try again shortly.", code="CacheUnavailable")
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unexpected error in %s", type(context.get("view")).__name__)
        return Response(
            error_body(500, "InternalError", "An unexpected error happened; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.APIException):
        code_desc = type(exc).__name__
        if isinstance(exc, (RequestTooLarge, ServiceUnavailable)):
            codes = exc.get_codes()
            code_desc = codes if isinstance(codes, str) else exc.default_code
        message = "; ".join(_flatten(exc.detail)) or str(exc.default_detail)
        response.data = error_body(response.status_code, code_desc, message)
    return response
