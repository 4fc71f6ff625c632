"""The JSON API: /sign (cossign envelope), /sts (qcloud-cos-sts envelope), /api/auth/login and /api/auth/logout.

Every error, ours or DRF's, answers its real HTTP status with `{"code": <non-zero>, "message": "...",
"codeDesc": "<Code>"}` (see `exception_handler`); credentials are never cached by HTTP intermediaries.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import logout as session_logout
from django.db import DatabaseError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from signer import selectors, services
from signer.errors import SignerError
from signer.identity.authentication import BearerIdTokenAuthentication
from signer.throttling import SlidingWindowThrottle

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------------------ errors


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "RequestEntityTooLarge"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "ServiceUnavailable"


def error_body(http_status: int, code_desc: str, message: str) -> dict[str, Any]:
    return {"code": http_status, "message": message, "codeDesc": code_desc}


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
        return Response(error_body(exc.status, exc.code_desc, exc.message), status=exc.status)
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


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.IntegerField(help_text="Non-zero: the HTTP status.")
    message = serializers.CharField()
    codeDesc = serializers.CharField(help_text="Stable code, e.g. NotAuthenticated, ScopeNotAllowed, AuthFailure.*")


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Malformed JSON, invalid input or unknown policy",
        401: "Not authenticated (or bad token)",
        403: "No policy, scope not allowed, or CSRF failure",
        405: "Method not allowed",
        413: "Body larger than SIGNER_MAX_BODY",
        415: "Not JSON",
        429: "Rate limited (see Retry-After)",
        502: "STS refused (codeDesc is the STS code)",
        503: "STS unavailable and nothing cached",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in statuses}


# ---------------------------------------------------------------------------------------------- shared plumbing


def client_ip(request: Request) -> str | None:
    """The caller's address, trusting X-Forwarded-For only as far as NUM_PROXIES says (like DRF's throttles)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if forwarded and proxies:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or None


class SignerRateThrottle(SlidingWindowThrottle):
    """Scope "sign" per user; "sign_anon" per IP for anonymous callers. Rates are read from settings each time.

    One cache round trip per request (signer/throttling.py), where DRF's own throttles make two."""

    rates = {"sign": "SIGNER_RATE", "sign_anon": "SIGNER_ANON_RATE", "login": "SIGNER_LOGIN_RATE"}

    def __init__(self) -> None:
        pass  # the rate depends on the view's scope: read in allow_request (as DRF's ScopedRateThrottle does)

    def get_rate(self) -> str | None:
        return str(getattr(settings, self.rates[self.scope]))

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if scope == "sign" and not (request.user and request.user.is_authenticated):
            scope = "sign_anon"
        if not scope:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        allowed = super().allow_request(request, view)
        version = getattr(self, "read", {}).get(selectors.POLICY_VERSION_KEY)
        if isinstance(version, str):
            request.policy_cache_version = version  # for CredentialsApi._issue
        return allowed

    def read_along(self, request: Request, view: APIView) -> list[str]:
        # /sign and /sts read the policy cache's version next: in the same round trip as the count.
        return [selectors.POLICY_VERSION_KEY] if self.scope == "sign" else []

    def get_cache_key(self, request: Request, view: APIView) -> str:
        # As DRF's ScopedRateThrottle: the user when authenticated, the client's address otherwise.
        authenticated = request.user and request.user.is_authenticated
        ident = str(request.user.pk) if authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CanSign(BasePermission):
    message = "Authentication credentials were not provided."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated) or bool(settings.SIGNER_ANONYMOUS_POLICY)


class SignerApiView(APIView):
    """Refuses oversized bodies before anything else, and marks every answer as not cacheable."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.SIGNER_MAX_BODY:
            raise RequestTooLarge(
                f"Request body of {length} bytes is larger than the limit of {settings.SIGNER_MAX_BODY}."
            )
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


# ------------------------------------------------------------------------------------------------ credentials


class ScopeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.CharField(max_length=100, help_text='e.g. "name/cos:PutObject"')
    bucket = serializers.CharField(max_length=100, allow_blank=True, help_text='full name, e.g. "demo-1250000000"')
    region = serializers.CharField(max_length=40, allow_blank=True, help_text='e.g. "ap-guangzhou"')
    prefix = serializers.CharField(max_length=1024, allow_blank=True, required=False, default="")


@extend_schema_serializer(component_name="CredentialsRequest")
class CredentialsInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    policy = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="A policy assigned to you; default: your default"
    )
    scopes = ScopeSerializer(
        many=True,
        required=False,
        max_length=services.MAX_SCOPES,
        help_text="cos-js-sdk-v5's getAuthorization Scope: the credentials then allow exactly these requests",
    )


class CredentialsApi(SignerApiView):
    authentication_classes = [BearerIdTokenAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [CanSign]
    throttle_classes = [SignerRateThrottle]
    throttle_scope = "sign"

    def render(self, credentials: services.TemporaryCredentials) -> dict[str, Any]:
        raise NotImplementedError

    def _issue(self, request: Request, *, policy: str | None, scopes: list[services.Scope] | None) -> Response:
        credentials = services.credentials_issue(
            user=request.user,
            policy_cache_version=getattr(request, "policy_cache_version", None),
            policy_name=policy or None,
            scopes=scopes,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(self.render(credentials))

    def get(self, request: Request) -> Response:
        policy = request.query_params.get("policy", "")
        if len(policy) > 100:
            raise exceptions.ValidationError({"policy": "Ensure this field has no more than 100 characters."})
        return self._issue(request, policy=policy, scopes=None)

    def post(self, request: Request) -> Response:
        serializer = CredentialsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scopes = [services.Scope(**scope) for scope in data.get("scopes") or []] or None
        return self._issue(request, policy=data.get("policy"), scopes=scopes)


_POLICY_PARAMETER = OpenApiParameter(
    "policy", OpenApiTypes.STR, description="A policy assigned to you (default: your highest-priority policy)"
)
_POST_DESCRIPTION = (
    "Like GET, with an optional JSON body: `policy` by name and `scopes`, the list cos-js-sdk-v5 passes to "
    "getAuthorization (`[{action, bucket, region, prefix}]`). Every scope must be allowed by your policy (403 "
    "ScopeNotAllowed names the first that is not); the credentials then allow only those requests."
)
_SCOPED_EXAMPLE = OpenApiExample(
    "Upload one object",
    value={
        "scopes": [
            {
                "action": "name/cos:PutObject",
                "bucket": "demo-1250000000",
                "region": "ap-guangzhou",
                "prefix": "users/alice/photo.jpg",
            }
        ]
    },
    request_only=True,
)


class SignApi(CredentialsApi):
    """GET|POST /sign: the `cossign` envelope the existing mobile demos parse."""

    @extend_schema_serializer(component_name="SignResponse")
    class OutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
        code = serializers.IntegerField(help_text="0 on success")
        message = serializers.CharField(allow_blank=True)
        codeDesc = serializers.CharField(help_text='"Success"')
        data = inline_serializer(
            "SignData",
            {
                "credentials": inline_serializer(
                    "SignCredentials",
                    {
                        "sessionToken": serializers.CharField(),
                        "tmpSecretId": serializers.CharField(),
                        "tmpSecretKey": serializers.CharField(),
                    },
                ),
                "expiredTime": serializers.IntegerField(help_text="Unix seconds"),
            },
        )

    def render(self, credentials: services.TemporaryCredentials) -> dict[str, Any]:
        return {
            "code": 0,
            "message": "",
            "codeDesc": "Success",
            "data": {
                "credentials": {
                    "sessionToken": credentials.session_token,
                    "tmpSecretId": credentials.tmp_secret_id,
                    "tmpSecretKey": credentials.tmp_secret_key,
                },
                "expiredTime": credentials.expired_time,
            },
        }

    @extend_schema(
        operation_id="sign_get",
        summary="Temporary credentials (cossign format)",
        parameters=[_POLICY_PARAMETER],
        responses={200: OutputSerializer, **_errors(400, 401, 403, 405, 413, 429, 502, 503)},
        tags=["credentials"],
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="sign_post",
        summary="Temporary credentials (cossign format), optionally narrowed to scopes",
        description=_POST_DESCRIPTION,
        request=CredentialsInputSerializer,
        examples=[_SCOPED_EXAMPLE],
        responses={200: OutputSerializer, **_errors(400, 401, 403, 405, 413, 415, 429, 502, 503)},
        tags=["credentials"],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class StsApi(CredentialsApi):
    """GET|POST /sts: the `qcloud-cos-sts` envelope newer iOS/Android/JS code parses."""

    @extend_schema_serializer(component_name="StsResponse")
    class OutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
        credentials = inline_serializer(
            "StsCredentials",
            {
                "tmpSecretId": serializers.CharField(),
                "tmpSecretKey": serializers.CharField(),
                "sessionToken": serializers.CharField(),
            },
        )
        expiredTime = serializers.IntegerField(help_text="Unix seconds")
        expiration = serializers.CharField(help_text="ISO 8601, UTC")
        startTime = serializers.IntegerField(help_text="Unix seconds; never in the future")
        requestId = serializers.CharField(help_text="STS RequestId")

    def render(self, credentials: services.TemporaryCredentials) -> dict[str, Any]:
        return {
            "credentials": {
                "tmpSecretId": credentials.tmp_secret_id,
                "tmpSecretKey": credentials.tmp_secret_key,
                "sessionToken": credentials.session_token,
            },
            "expiredTime": credentials.expired_time,
            "expiration": credentials.expiration,
            "startTime": credentials.start_time,
            "requestId": credentials.request_id,
        }

    @extend_schema(
        operation_id="sts_get",
        summary="Temporary credentials (qcloud-cos-sts format)",
        parameters=[_POLICY_PARAMETER],
        responses={200: OutputSerializer, **_errors(400, 401, 403, 405, 413, 429, 502, 503)},
        tags=["credentials"],
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="sts_post",
        summary="Temporary credentials (qcloud-cos-sts format), optionally narrowed to scopes",
        description=_POST_DESCRIPTION,
        request=CredentialsInputSerializer,
        examples=[_SCOPED_EXAMPLE],
        responses={200: OutputSerializer, **_errors(400, 401, 403, 405, 413, 415, 429, 502, 503)},
        tags=["credentials"],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


# ---------------------------------------------------------------------------------------------------- tokens


class AuthLoginApi(SignerApiView):
    """POST /api/auth/login: a token for apps, from a username and password."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignerRateThrottle]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="LoginRequest")
    class InputSerializer(serializers.Serializer):  # type: ignore[type-arg]
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema_serializer(component_name="LoginResponse")
    class OutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
        token = serializers.CharField(help_text="Send as `Authorization: Token <token>`")
        expiry = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        operation_id="auth_login",
        summary="Log in: a token for Authorization: Token <token>",
        request=InputSerializer,
        responses={200: OutputSerializer, **_errors(400, 405, 413, 415, 429)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError("Unable to log in with the username and password given.", code="invalid")
        token, expiry = services.token_create(user=user)
        return Response(self.OutputSerializer({"token": token, "expiry": expiry}).data)


class AuthLogoutApi(SignerApiView):
    """POST /api/auth/logout: revokes the token used (at once); ends the session for browser callers."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    throttle_classes = [SignerRateThrottle]
    throttle_scope = "sign"

    @extend_schema(
        operation_id="auth_logout",
        summary="Log out: revoke this token",
        request=None,
        responses={204: None, **_errors(401, 405, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            services.token_revoke(token=request.auth)
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
