"""Tencent Cloud API 3.0 as localcloud serves it: one envelope, two signatures, several services (STS, CAM).

Every answer is HTTP 200 with `Content-Type: application/json` exactly (the SDKs ignore errors sent with a charset and
turn any other status into ServerNetworkError). Success is `{"Response": {..., "RequestId"}}`, failure
`{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`, with the codes of the real services.

A request is signed one of two ways:
- TC3-HMAC-SHA256 (the `Authorization` header, what tencentcloud-sdk-python sends); the credential scope names the
  service (`<date>/sts/tc3_request`, `<date>/cam/tc3_request`), which is how one port tells STS from CAM: Tencent
  tells them apart by host name (sts.tencentcloudapi.com, cam.tencentcloudapi.com) and that scope must match it;
- the older form-parameter signature (`Signature`, `Nonce`, `Timestamp`, `SecretId` among the parameters,
  `localcloud.signature_v1`), what qcloud-cos-sts-sdk sends; localcloud serves it for STS only.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from localcloud import signature_v1
from localcloud.config import Config
from localcloud.credentials import CredentialStore, Principal
from localcloud.numbers import ascii_int
from localcloud.ratelimit import RateLimiter
from localcloud.stats import Stats
from qcloud import policy as cam
from qcloud import tc3

log = logging.getLogger("localcloud.api")

MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024

SIGNATURE_FAILURE = "The provided credentials could not be validated. Please check your signature is correct."


class State:
    """What the API remembers between requests: used nonces, the STS rate limit."""

    def __init__(self, config: Config) -> None:
        self.nonces = signature_v1.NonceLog(2 * MAX_SKEW_SECONDS)
        self.sts_limit = RateLimiter(config.sts_rate, clock=config.clock)


class Emulator(Protocol):
    """What the API services use of the emulator (localcloud.app.LocalCloud is one), so they never import the app."""

    @property
    def config(self) -> Config: ...
    @property
    def credentials(self) -> CredentialStore: ...
    @property
    def stats(self) -> Stats: ...
    @property
    def clock(self) -> float: ...
    @property
    def api(self) -> State: ...


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Request:
    method: str
    query: str
    headers: dict[str, str]  # lowercased names
    body: bytes
    remote_addr: str | None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Caller:
    principal: Principal
    policies: tuple[cam.Policy, ...]
    context: cam.RequestContext

    @property
    def is_root(self) -> bool:
        return self.principal.is_root

    def may(self, action: str, resource: str) -> bool:
        if self.principal.is_root:
            return True
        return cam.evaluate_all(self.policies, action, resource, self.context).allowed


Params = Mapping[str, Any]
Handler = Callable[["Emulator", Caller, Params], dict[str, Any]]


@dataclass(frozen=True)
class Service:
    name: str  # as in the TC3 credential scope
    version: str
    actions: Mapping[str, Handler]
    # Called before an action runs (STS: the per-account rate limit); raises ApiError to refuse.
    admit: Callable[[Emulator, Caller, str], None] = field(default=lambda app, caller, action: None)


@dataclass(frozen=True)
class Call:
    """What a request asks, whichever way it was signed."""

    service: str
    action: str
    version: str
    region: str
    params: dict[str, Any]
    caller: Caller
    signed_v1: bool = False


def is_api_request(environ: Mapping[str, Any]) -> bool:
    """`POST /` or `GET /` that is an API call (TC3 header, or a form/query signed with the older signature)."""
    if environ.get("PATH_INFO", "/") != "/" or environ.get("REQUEST_METHOD") not in ("POST", "GET"):
        return False
    if environ.get("HTTP_X_TC_ACTION"):
        return True
    if ".cos." in str(environ.get("HTTP_HOST", "")):  # a bucket's virtual host: COS (POST Object and the like)
        return False
    if environ.get("REQUEST_METHOD") == "POST":
        content_type = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        return content_type == "application/x-www-form-urlencoded" and not environ.get("HTTP_AUTHORIZATION")
    query = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
    return {"Action", "Signature", "SecretId"} <= set(query)


def handle(
    app: Emulator, environ: dict[str, Any], start_response: Any, services: Mapping[str, Service]
) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    action = environ.get("HTTP_X_TC_ACTION", "")
    named = _service_named(environ)
    app.stats.add(f"{named}:calls")
    if named in services and action in services[named].actions:
        app.stats.add(f"{named}:{action}")
    try:
        call = _read_call(app, _read_request(environ))
        action = call.action
        service = services.get(call.service)
        if service is None:
            raise ApiError(
                "AuthFailure.SignatureFailure",
                f"{SIGNATURE_FAILURE} The credential scope names the service `{call.service}`; localcloud serves "
                f"{', '.join(sorted(services))}.",
            )
        response = _run(app, service, call)
        log.info("%s:%s by %s: ok (request %s)", call.service, action, call.caller.principal.name, request_id)
    except ApiError as error:
        log.info("%s: %s (request %s)", action or "-", error.code, request_id)
        response = {"Error": {"Code": error.code, "Message": error.message}}
    except Exception:  # an emulator bug must still answer in the envelope the SDK understands
        log.exception("%s failed (request %s)", action or "-", request_id)
        response = {"Error": {"Code": "InternalError.SystemError", "Message": "localcloud failed; see its log."}}
    response["RequestId"] = request_id
    payload = json.dumps({"Response": response}).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            ("X-TC-RequestId", request_id),
        ],
    )
    return [payload]


def _service_named(environ: Mapping[str, Any]) -> str:
    """The service a request is for, for counting it before it is authenticated (STS unless it says CAM)."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    return "cam" if "/cam/tc3_request" in header else "sts"


def _run(app: Emulator, service: Service, call: Call) -> dict[str, Any]:
    handler = service.actions.get(call.action)
    if handler is not None and call.signed_v1:  # counted once its form was read; the header's action already was
        app.stats.add(f"{service.name}:{call.action}")
    if not call.version:
        raise ApiError("MissingParameter", "The request is missing a required parameter `Version`.")
    if call.version != service.version:
        raise ApiError(
            "NoSuchVersion", f"The API version `{call.version}` does not exist; {service.name} is {service.version}."
        )
    if not call.region and service.name == "sts":  # CAM is a global service: its SDK sends no region
        raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
    if handler is None:
        raise ApiError("InvalidAction", f"The action `{call.action}` is not supported by localcloud's {service.name}.")
    service.admit(app, call.caller, call.action)
    return handler(app, call.caller, call.params)


# --- reading and authenticating the request ---------------------------------------------------------------------


def _read_request(environ: Mapping[str, Any]) -> Request:
    headers = {
        key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    method = str(environ.get("REQUEST_METHOD", "POST")).upper()
    body = b""
    if method == "POST":
        length = ascii_int(str(environ.get("CONTENT_LENGTH") or "0").strip(), 19)
        if length is None:
            raise ApiError("InvalidParameter", "Content-Length is not a non-negative number.")
        if length > MAX_BODY_BYTES:
            raise ApiError("InvalidParameter", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        body = environ["wsgi.input"].read(length) if length else b""
    return Request(
        method=method,
        query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
        remote_addr=environ.get("REMOTE_ADDR"),
    )


def _read_call(app: Emulator, request: Request) -> Call:
    if not request.headers.get("x-tc-action") and "authorization" not in request.headers:
        return _read_v1_call(app, request)
    caller, service = _authenticate_tc3(app, request)
    return Call(
        service=service,
        action=request.headers.get("x-tc-action", ""),
        version=request.headers.get("x-tc-version", ""),
        region=request.headers.get("x-tc-region", ""),
        params=_params(request),
        caller=caller,
    )


def _read_v1_call(app: Emulator, request: Request) -> Call:
    params = dict(parse_qsl(request.query if request.method == "GET" else _form_text(request), keep_blank_values=True))
    try:
        signed = signature_v1.parse(params)
    except signature_v1.SignatureFormatError as error:
        raise ApiError(error.code, str(error)) from None
    principal = _known_principal(app, signed.secret_id)
    _check_timestamp(app, signed.timestamp, "Timestamp")
    try:
        signature_v1.verify(signed, request.method, request.headers.get("host", ""), principal.secret_key)
    except signature_v1.SignatureMismatch as error:
        raise ApiError(
            "AuthFailure.SignatureFailure", f"{SIGNATURE_FAILURE} localcloud signed this string:\n{error}"
        ) from None
    if not app.api.nonces.first_use(signed.secret_id, signed.timestamp, signed.nonce, app.clock):
        raise ApiError(
            "AuthFailure.SignatureFailure", f"{SIGNATURE_FAILURE} This Nonce was already used with this Timestamp."
        )
    caller = _caller(app, request, principal, signed.token)
    return Call(
        service="sts",
        action=signed.action,
        version=signed.version,
        region=signed.region,
        params=signed.action_params,
        caller=caller,
        signed_v1=True,
    )


def _form_text(request: Request) -> str:
    if request.content_type != "application/x-www-form-urlencoded":
        raise ApiError(
            "AuthFailure.InvalidAuthorization", "The request has no Authorization header and is not a signed form."
        )
    return request.body.decode("utf-8", "replace")


def _check_timestamp(app: Emulator, timestamp: int, name: str) -> None:
    now = app.clock
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"Signature expired: {name} {timestamp} is {int(timestamp - now):+d} seconds from the server "
            f"time {int(now)}; they may differ by at most {MAX_SKEW_SECONDS} seconds.",
        )


def _known_principal(app: Emulator, secret_id: str) -> Principal:
    principal = app.credentials.lookup(secret_id)
    if principal is None:
        raise ApiError("AuthFailure.SecretIdNotFound", f"The SecretId `{secret_id}` does not exist.")
    return principal


def _caller(app: Emulator, request: Request, principal: Principal, token: str) -> Caller:
    if principal.is_temporary:
        if not secrets.compare_digest(token.encode(), (principal.token or "").encode()):
            raise ApiError("AuthFailure.TokenFailure", "The token is missing or does not match the SecretId.")
        if principal.expires_at is not None and principal.expires_at <= app.clock:
            raise ApiError("AuthFailure.TokenFailure", "The temporary credentials have expired.")
    policies = tuple(cam.parse_policy(document) for document in principal.policies)
    return Caller(principal, policies, cam.RequestContext(ip=request.remote_addr))


def _authenticate_tc3(app: Emulator, request: Request) -> tuple[Caller, str]:
    header = request.headers.get("authorization", "")
    if not header:
        raise ApiError("AuthFailure.InvalidAuthorization", "The request has no Authorization header.")
    try:
        auth = tc3.parse_authorization(header)
    except tc3.AuthorizationFormatError as error:
        raise ApiError("AuthFailure.InvalidAuthorization", f"Authorization header is invalid: {error}.") from None
    missing = {"content-type", "host"} - set(auth.signed_headers)
    if missing:
        raise ApiError(
            "AuthFailure.InvalidAuthorization",
            f"SignedHeaders must include content-type and host (missing: {', '.join(sorted(missing))}).",
        )
    timestamp = ascii_int(request.headers.get("x-tc-timestamp", "").strip(), 12)
    if timestamp is None:
        raise ApiError("MissingParameter", "The request is missing a valid `X-TC-Timestamp` (Unix seconds).")
    _check_timestamp(app, timestamp, "X-TC-Timestamp")
    principal = _known_principal(app, auth.secret_id)
    # The scope's service is the caller's to choose (STS or CAM): it is signed, so a signature made for one
    # service never passes as the other's.
    service = auth.service
    canonical = tc3.canonical_request(
        request.method,
        "/",
        request.query if request.method == "GET" else "",
        request.headers,
        auth.signed_headers,
        request.body,
        unsigned_payload=request.headers.get("x-tc-content-sha256") == tc3.UNSIGNED_PAYLOAD,
    )
    to_sign = tc3.string_to_sign(timestamp, service, canonical)
    expected = tc3.sign(principal.secret_key, tc3.date_of(timestamp), service, to_sign)
    if auth.date != tc3.date_of(timestamp):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            f"{SIGNATURE_FAILURE} The credential scope is `{auth.date}/{auth.service}/tc3_request`; localcloud "
            f"expected the date `{tc3.date_of(timestamp)}` (the UTC date of X-TC-Timestamp).",
        )
    if not secrets.compare_digest(expected, auth.signature):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            f"{SIGNATURE_FAILURE} localcloud signed this canonical request:\n{canonical}\n"
            f"and this string to sign:\n{to_sign}",
        )
    return _caller(app, request, principal, request.headers.get("x-tc-token", "")), service


def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(parse_qsl(request.query, keep_blank_values=True))
    if request.content_type == "application/json":
        try:
            params = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise ApiError("InvalidParameter", "The request body must be a JSON object.")
        return params
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    raise ApiError(
        "InvalidParameter",
        f"Content-Type `{request.content_type}` is not supported: send application/json (POST) or a GET query.",
    )


# --- parameters every service checks the same way -----------------------------------------------------------------


def check_known(params: Params, known: set[str]) -> None:
    for name in params:
        if name.split(".", 1)[0] not in known:
            raise ApiError("UnknownParameter", f"The parameter `{name}` is not recognized.")


def required_string(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if not isinstance(value, str):
        raise ApiError("InvalidParameter.ParamError", f"The parameter `{name}` must be a string.")
    return value
