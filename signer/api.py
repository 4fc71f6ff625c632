"""The JSON API: /sign (cossign envelope), /sts (qcloud-cos-sts envelope), /api/auth/login and /api/auth/logout.

Errors answer the `{code, message, codeDesc}` envelope (signer/exception_handlers.py); credentials are never cached
by HTTP intermediaries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import logout as session_logout
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from signer import services
from signer.exception_handlers import ErrorSerializer, RequestTooLarge
from signer.identity.authentication import BearerIdTokenAuthentication
from signer.identity.sso import password_sign_in_allowed
from signer.net import client_ip
from signer.policy_cache import POLICY_VERSION_KEY
from signer.revocation import epoch_key
from signer.scopes import MAX_SCOPES, Scope
from signer.serializers import AnswerSerializer
from signer.services import TemporaryCredentials
from signer.throttling import SignerRateThrottle
from signer.tokens import TrackedTokenAuthentication

View = TypeVar("View", bound="type[CredentialsApi]")

POLICY_HELP = (
    "The name of one of your effective policies (assigned to you or to one of your groups); default: your "
    "highest-priority policy. Each policy has its own cached credential and audit rows. 403 UnknownPolicy when "
    "it is not one of yours (whether or not it exists)."
)


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Malformed JSON or invalid input",
        401: "Not authenticated (or bad token)",
        403: "No policy, a policy named that is not yours (UnknownPolicy), scope not allowed, or CSRF failure",
        405: "Method not allowed",
        413: "Body larger than SIGNER_MAX_BODY",
        415: "Not JSON",
        429: "Rate limited (see Retry-After)",
        502: "STS refused (codeDesc is the STS code)",
        503: "STS unavailable and nothing cached",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in statuses}


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


class ScopeSerializer(serializers.Serializer[dict[str, Any]]):
    action = serializers.CharField(max_length=100, help_text='e.g. "name/cos:PutObject"')
    bucket = serializers.CharField(max_length=100, allow_blank=True, help_text='full name, e.g. "demo-1250000000"')
    region = serializers.CharField(max_length=40, allow_blank=True, help_text='e.g. "ap-guangzhou"')
    prefix = serializers.CharField(max_length=1024, allow_blank=True, required=False, default="")


@extend_schema_serializer(component_name="CredentialsRequest")
class CredentialsInputSerializer(serializers.Serializer[dict[str, Any]]):
    policy = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=POLICY_HELP)
    scopes: serializers.ListSerializer[dict[str, Any]] = serializers.ListSerializer(
        child=ScopeSerializer(),
        required=False,
        max_length=MAX_SCOPES,
        help_text="cos-js-sdk-v5's getAuthorization Scope: the credentials then allow exactly these requests",
    )


class CredentialsApi(SignerApiView):
    """/sign and /sts: the same credentials (GET: the policy by name; POST: also scopes), in two envelopes."""

    authentication_classes = [BearerIdTokenAuthentication, TrackedTokenAuthentication, SessionAuthentication]
    permission_classes = [CanSign]
    throttle_classes = [SignerRateThrottle]
    throttle_scope = "sign"
    OutputSerializer: ClassVar[type[AnswerSerializer[Any]]]  # the envelope's schema, which `envelope()` builds

    def envelope(self, credentials: TemporaryCredentials) -> dict[str, Any]:
        raise NotImplementedError

    # An answer this worker remembers, for the throttle to count and audit in its one round trip (signer/throttling.py).
    remembered: services.Remembered | None = None

    def get_throttles(self) -> list[BaseThrottle]:
        # Kept for the request (a view instance serves one), so that _issue can ask the throttle what it read.
        if not hasattr(self, "_throttles"):
            self._throttles = super().get_throttles()
        return self._throttles

    def check_throttles(self, request: Request) -> None:
        """Not before the handler, as DRF does, but in `_issue`, once the request's policy and scopes are known (so a
        malformed request is refused, 400, before it is counted)."""

    def _sign_throttle(self) -> SignerRateThrottle | None:
        for throttle in self.get_throttles():
            if isinstance(throttle, SignerRateThrottle):
                return throttle
        return None

    def _read_along(self, key: str) -> str | None:
        throttle = self._sign_throttle()
        return throttle.read_along(key) if throttle is not None else None

    def _issue(self, request: Request, *, policy: str | None, scopes: list[Scope] | None) -> Response:
        """Count the request, then answer: from this worker's memory when the throttle's round trip has confirmed
        the policy version and revocation epoch that answer assumed and written its audit row; else through
        `credentials_issue` with what the throttle read along."""
        user = request.user
        ip, agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")
        self.remembered = services.credentials_remembered(
            user=user, policy_name=policy or None, scopes=scopes, client_ip=ip, user_agent=agent
        )
        super().check_throttles(request)
        throttle = self._sign_throttle()
        if self.remembered is not None and throttle is not None and throttle.recorded():
            return Response(self.envelope(services.credentials_remembered_given(self.remembered)))
        credentials = services.credentials_issue(
            user=user,
            policy_cache_version=self._read_along(POLICY_VERSION_KEY),
            revocation_epoch=self._read_along(epoch_key(user.pk)) if user.is_authenticated else None,
            policy_name=policy or None,
            scopes=scopes,
            client_ip=ip,
            user_agent=agent,
        )
        return Response(self.envelope(credentials))

    def get(self, request: Request) -> Response:
        policy = request.query_params.get("policy", "").strip()  # as POST's CharField trims it
        if len(policy) > 100:
            raise exceptions.ValidationError({"policy": "Ensure this field has no more than 100 characters."})
        return self._issue(request, policy=policy, scopes=None)

    def post(self, request: Request) -> Response:
        serializer = CredentialsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scopes = [Scope(**scope) for scope in data.get("scopes") or []] or None
        return self._issue(request, policy=data.get("policy"), scopes=scopes)


_POLICY_PARAMETER = OpenApiParameter("policy", OpenApiTypes.STR, description=POLICY_HELP)
_UPLOADS = (
    "\n\n**Reuse one credential until `expiredTime`.** Without scopes the credentials allow your whole policy "
    "(typically your writable prefix): use them for every request until they expire, then ask again. Cached answers "
    "count only towards SIGNER_RATE; answers that need a new STS call (new scopes, an expired credential) also count "
    "towards SIGNER_STS_RATE per user (429 Throttled with Retry-After).\n\n"
    "**Size and type limits mean single uploads.** COS evaluates `cos:content-length` and `cos:content-type` on "
    "each request by itself (an UploadPart's own size, a CompleteMultipartUpload's XML body), so a limit cannot hold "
    "on a multipart upload. Under a policy with a maximum object size or allowed content types the credentials allow "
    "uploads only as PutObject or PostObject requests (up to 5 GB) carrying the limit as a condition; "
    "InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, copies and appends are not granted. Upload such "
    "files with the SDK's simple upload (no resumable multipart).\n\n"
    "**Forbid overwriting.** Under a policy that forbids overwriting, every PutObject, PostObject, "
    "InitiateMultipartUpload, CompleteMultipartUpload and PutObjectCopy must carry `x-cos-forbid-overwrite: true` "
    "(else COS answers 403 AccessDenied); an existing name then gets 409 FileAlreadyExists.\n\n"
    "**Clock skew.** COS answers a request signed outside its time window with 403 RequestTimeTooSkewed (or "
    "AccessDenied `Request has expired`) and its own time in the `Date` header: correct the clock from it and retry."
)
_GET_DESCRIPTION = "Temporary credentials under your policy (or the one named)." + _UPLOADS
_POST_DESCRIPTION = (
    "Like GET, with an optional JSON body: `policy` by name and `scopes`, the list cos-js-sdk-v5 passes to "
    "getAuthorization (`[{action, bucket, region, prefix}]`). Every scope must be allowed by your policy (403 "
    "ScopeNotAllowed names the first that is not); the credentials then allow only those requests." + _UPLOADS
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


def credentials_schema(name: str, envelope: str) -> Callable[[View], View]:
    """The documentation of GET and POST on a credentials endpoint whose answer is its view's OutputSerializer."""

    def decorate(view: View) -> View:
        output = view.OutputSerializer
        documented = extend_schema_view(
            get=extend_schema(
                operation_id=f"{name}_get",
                summary=f"Temporary credentials ({envelope} format)",
                description=_GET_DESCRIPTION,
                parameters=[_POLICY_PARAMETER],
                responses={200: output, **_errors(400, 401, 403, 405, 413, 429, 502, 503)},
                tags=["credentials"],
            ),
            post=extend_schema(
                operation_id=f"{name}_post",
                summary=f"Temporary credentials ({envelope} format), optionally narrowed to scopes",
                description=_POST_DESCRIPTION,
                request=CredentialsInputSerializer,
                examples=[_SCOPED_EXAMPLE],
                responses={200: output, **_errors(400, 401, 403, 405, 413, 415, 429, 502, 503)},
                tags=["credentials"],
            ),
        )
        return documented(view)

    return decorate


@extend_schema_serializer(component_name="SignCredentials")
class SignCredentialsSerializer(AnswerSerializer[TemporaryCredentials]):
    sessionToken = serializers.CharField(source="session_token")
    tmpSecretId = serializers.CharField(source="tmp_secret_id")
    tmpSecretKey = serializers.CharField(source="tmp_secret_key")


@extend_schema_serializer(component_name="SignData")
class SignDataSerializer(AnswerSerializer[TemporaryCredentials]):
    credentials = SignCredentialsSerializer(source="*")
    expiredTime = serializers.IntegerField(source="expired_time", help_text="Unix seconds")


@credentials_schema("sign", "cossign")
class SignApi(CredentialsApi):
    """GET|POST /sign: the `cossign` envelope the existing mobile demos parse."""

    @extend_schema_serializer(component_name="SignResponse")
    class OutputSerializer(AnswerSerializer[dict[str, Any]]):
        code = serializers.IntegerField(help_text="0 on success")
        message = serializers.CharField(allow_blank=True)
        codeDesc = serializers.CharField(help_text='"Success"')

        def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
            # The envelope's `data`, added here: a class attribute of that name would shadow Serializer.data.
            return {**super().get_fields(), "data": SignDataSerializer()}

    def envelope(self, credentials: TemporaryCredentials) -> dict[str, Any]:
        # Built by hand, as OutputSerializer documents it (tests/signer/test_envelopes.py compares the two): running
        # the serializer was a tenth of what a cached answer adds to a bare authenticated view.
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


@extend_schema_serializer(component_name="StsCredentials")
class StsCredentialsSerializer(AnswerSerializer[TemporaryCredentials]):
    tmpSecretId = serializers.CharField(source="tmp_secret_id")
    tmpSecretKey = serializers.CharField(source="tmp_secret_key")
    sessionToken = serializers.CharField(source="session_token")


@credentials_schema("sts", "qcloud-cos-sts")
class StsApi(CredentialsApi):
    """GET|POST /sts: the `qcloud-cos-sts` envelope newer iOS/Android/JS code parses."""

    @extend_schema_serializer(component_name="StsResponse")
    class OutputSerializer(AnswerSerializer[TemporaryCredentials]):
        credentials = StsCredentialsSerializer(source="*")
        expiredTime = serializers.IntegerField(source="expired_time", help_text="Unix seconds")
        expiration = serializers.CharField(help_text="ISO 8601, UTC")
        startTime = serializers.IntegerField(source="start_time", help_text="Unix seconds; never in the future")
        requestId = serializers.CharField(source="request_id", help_text="STS RequestId")

    def envelope(self, credentials: TemporaryCredentials) -> dict[str, Any]:
        # By hand, as SignApi's (the same test compares it with OutputSerializer).
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


# ---------------------------------------------------------------------------------------------------- tokens


class AuthLoginApi(SignerApiView):
    """POST /api/auth/login: a token for apps, from a username and password."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignerRateThrottle]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="LoginRequest")
    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema_serializer(component_name="LoginResponse")
    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
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
        if not password_sign_in_allowed(user):
            raise exceptions.PermissionDenied("Staff accounts sign in with single sign-on, not a password.")
        token, expiry = services.token_create(user=user)
        return Response(self.OutputSerializer({"token": token, "expiry": expiry}).data)


class AuthLogoutApi(SignerApiView):
    """POST /api/auth/logout: revokes the token used (at once); ends the session for browser callers."""

    authentication_classes = [TrackedTokenAuthentication, SessionAuthentication]
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
