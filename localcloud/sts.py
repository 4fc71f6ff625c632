"""STS API 3.0 as tencentcloud-sdk-python-sts speaks it: GetFederationToken and AssumeRole, TC3-HMAC-SHA256 signed.

Every answer is HTTP 200 with `Content-Type: application/json` exactly (the SDK ignores errors sent with a charset and
turns any other status into ServerNetworkError). Success is `{"Response": {..., "RequestId"}}`, failure
`{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`, with the codes of the real service.

Who may call what:
- the root account: everything;
- a sub-account (permanent keys with a CAM policy): GetFederationToken when its policy allows
  `name/sts:GetFederationToken`; AssumeRole when its policy allows `name/sts:AssumeRole` on the role's ARN;
- temporary credentials: AssumeRole under the same rule as sub-accounts (role chaining); GetFederationToken answers
  FailedOperation.TempKeyNotAllowed, as the real API does ("only supports calls with permanent keys").

What the issued credentials may do is the intersection of their policies (`Principal.policies`, each must allow):
- GetFederationToken by root: [session policy];
- GetFederationToken by a sub-account: [sub-account policy, session policy] — a federated token never exceeds the
  permissions of the key that asked for it;
- AssumeRole: [role policy] or [role policy, session policy] — the session policy narrows the role, never widens it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from localcloud.config import Config
from localcloud.credentials import CredentialStore, Principal
from localcloud.numbers import ascii_int
from localcloud.stats import Stats
from qcloud import policy as cam
from qcloud import tc3
from qcloud.limits import STS_POLICY_LIMIT

log = logging.getLogger("localcloud.sts")

VERSION = "2018-08-13"
SERVICE = "sts"
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024

FEDERATION_DEFAULT_DURATION = 1800
FEDERATION_MAX_DURATION_ROOT = 7200
FEDERATION_MAX_DURATION_SUBACCOUNT = 129600
ROLE_DEFAULT_DURATION = 7200
ROLE_MAX_DURATION = 43200

_NAME = re.compile(r"[\w+=,.@-]{2,32}", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,128}", re.ASCII)
_ROLE_ARN = re.compile(r"qcs::cam::uin/(?P<uin>\d+):(?P<kind>roleName|role)/(?P<name>.+)")

SIGNATURE_FAILURE = "The provided credentials could not be validated. Please check your signature is correct."


class Emulator(Protocol):
    """What STS uses of the emulator (localcloud.app.LocalCloud is one), so this module never imports the app."""

    @property
    def config(self) -> Config: ...
    @property
    def credentials(self) -> CredentialStore: ...
    @property
    def stats(self) -> Stats: ...
    @property
    def clock(self) -> float: ...


class StsError(Exception):
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


def handle(app: Emulator, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    app.stats.add("sts:calls")
    action = environ.get("HTTP_X_TC_ACTION", "")
    try:
        request = _read_request(environ)
        handler = ACTIONS.get(action)
        if handler is not None:
            app.stats.add(f"sts:{action}")
        caller = _authenticate(app, request)
        version = request.headers.get("x-tc-version", "")
        if not version:
            raise StsError("MissingParameter", "The request is missing a required parameter `Version`.")
        if version != VERSION:
            raise StsError("NoSuchVersion", f"The API version `{version}` does not exist; STS is {VERSION}.")
        if not request.headers.get("x-tc-region", ""):
            raise StsError("MissingParameter", "The request is missing a required parameter `Region`.")
        if handler is None:
            raise StsError("InvalidAction", f"The action `{action}` is not supported by localcloud's STS.")
        response = handler(app, caller, _params(request))
        log.info("%s by %s: ok (request %s)", action, caller.principal.name, request_id)
    except StsError as error:
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
            raise StsError("InvalidParameter", "Content-Length is not a non-negative number.")
        if length > MAX_BODY_BYTES:
            raise StsError("InvalidParameter", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        body = environ["wsgi.input"].read(length) if length else b""
    return Request(
        method=method,
        query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
        remote_addr=environ.get("REMOTE_ADDR"),
    )


def _authenticate(app: Emulator, request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    if not header:
        raise StsError("AuthFailure.InvalidAuthorization", "The request has no Authorization header.")
    try:
        auth = tc3.parse_authorization(header)
    except tc3.AuthorizationFormatError as error:
        raise StsError("AuthFailure.InvalidAuthorization", f"Authorization header is invalid: {error}.") from None
    missing = {"content-type", "host"} - set(auth.signed_headers)
    if missing:
        raise StsError(
            "AuthFailure.InvalidAuthorization",
            f"SignedHeaders must include content-type and host (missing: {', '.join(sorted(missing))}).",
        )
    timestamp = ascii_int(request.headers.get("x-tc-timestamp", "").strip(), 12)
    if timestamp is None:
        raise StsError("MissingParameter", "The request is missing a valid `X-TC-Timestamp` (Unix seconds).")
    now = app.clock
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise StsError(
            "AuthFailure.SignatureExpire",
            f"Signature expired: X-TC-Timestamp {timestamp} is {int(timestamp - now):+d} seconds from the server "
            f"time {int(now)}; they may differ by at most {MAX_SKEW_SECONDS} seconds.",
        )
    principal = app.credentials.lookup(auth.secret_id)
    if principal is None:
        raise StsError("AuthFailure.SecretIdNotFound", f"The SecretId `{auth.secret_id}` does not exist.")

    canonical = tc3.canonical_request(
        request.method,
        "/",
        request.query if request.method == "GET" else "",
        request.headers,
        auth.signed_headers,
        request.body,
        unsigned_payload=request.headers.get("x-tc-content-sha256") == tc3.UNSIGNED_PAYLOAD,
    )
    to_sign = tc3.string_to_sign(timestamp, SERVICE, canonical)
    expected = tc3.sign(principal.secret_key, tc3.date_of(timestamp), SERVICE, to_sign)
    expected_scope = f"{tc3.date_of(timestamp)}/{SERVICE}/tc3_request"
    if (auth.date, auth.service) != (tc3.date_of(timestamp), SERVICE):
        raise StsError(
            "AuthFailure.SignatureFailure",
            f"{SIGNATURE_FAILURE} The credential scope is `{auth.date}/{auth.service}/tc3_request`; localcloud "
            f"expected `{expected_scope}` (the UTC date of X-TC-Timestamp and the service `{SERVICE}`).",
        )
    if not secrets.compare_digest(expected, auth.signature):
        raise StsError(
            "AuthFailure.SignatureFailure",
            f"{SIGNATURE_FAILURE} localcloud signed this canonical request:\n{canonical}\n"
            f"and this string to sign:\n{to_sign}",
        )

    if principal.is_temporary:
        token = request.headers.get("x-tc-token", "")
        if not secrets.compare_digest(token.encode(), (principal.token or "").encode()):
            raise StsError("AuthFailure.TokenFailure", "The X-TC-Token is missing or does not match the SecretId.")
        if principal.expires_at is not None and principal.expires_at <= now:
            raise StsError("AuthFailure.TokenFailure", "The temporary credentials have expired.")
    policies = tuple(cam.parse_policy(document) for document in principal.policies)
    return Caller(principal, policies, cam.RequestContext(ip=request.remote_addr))


def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(parse_qsl(request.query, keep_blank_values=True))
    if request.content_type == "application/json":
        try:
            params = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            raise StsError("InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise StsError("InvalidParameter", "The request body must be a JSON object.")
        return params
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    raise StsError(
        "InvalidParameter",
        f"Content-Type `{request.content_type}` is not supported: send application/json (POST) or a GET query.",
    )


# --- parameters ---------------------------------------------------------------------------------------------------


def _check_known(params: Mapping[str, Any], known: set[str]) -> None:
    for name in params:
        if name.split(".", 1)[0] not in known:
            raise StsError("UnknownParameter", f"The parameter `{name}` is not recognized.")


def _required_string(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise StsError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if not isinstance(value, str):
        raise StsError("InvalidParameter.ParamError", f"The parameter `{name}` must be a string.")
    return value


def _duration(params: Mapping[str, Any], *, default: int, maximum: int) -> int:
    value = params.get("DurationSeconds")
    if value is None:
        return default
    if isinstance(value, str):
        value = ascii_int(value, 9)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise StsError("InvalidParameter.ParamError", f"DurationSeconds must be an integer from 1 to {maximum}.")
    if value > maximum:
        raise StsError(
            "InvalidParameter.OverTimeError",
            f"DurationSeconds {value} is longer than the maximum of {maximum} seconds for this caller.",
        )
    return value


def _session_policy(raw: str) -> dict[str, Any]:
    """Decode the URL-encoded Policy parameter and check it like CAM does."""
    if len(raw) > STS_POLICY_LIMIT:
        raise StsError(
            "InvalidParameter.PolicyTooLong",
            f"The Policy is {len(raw)} characters long (URL-encoded); the maximum is {STS_POLICY_LIMIT}.",
        )
    try:
        document = json.loads(unquote(raw))
    except ValueError as error:
        raise StsError("InvalidParameter.StrategyFormatError", f"The Policy is not valid JSON: {error}.") from None
    except RecursionError:
        raise StsError("InvalidParameter.StrategyFormatError", "The Policy is nested too deeply.") from None
    if not isinstance(document, dict):
        raise StsError("InvalidParameter.StrategyFormatError", "The Policy must be a JSON object.")
    statements = document.get("statement")
    for index, statement in enumerate(statements if isinstance(statements, list) else [], start=1):
        if isinstance(statement, dict) and any(key.lower() == "principal" for key in statement):
            raise StsError(
                "InvalidParameter.StrategyFormatError",
                f"statement {index}: a session policy cannot contain the principal element.",
            )
    try:
        cam.parse_policy(document)
    except cam.PolicyError as error:
        raise StsError("InvalidParameter.StrategyFormatError", f"The Policy is malformed: {error}") from None
    return document


def _expiration(expires_at: int) -> str:
    return datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _credentials_response(app: Emulator, *, name: str, policies: list[dict[str, Any]], duration: int) -> dict[str, Any]:
    issued = app.credentials.issue(name=name, policies=policies, duration=duration)
    return {
        "Credentials": {
            "Token": issued.token,
            "TmpSecretId": issued.secret_id,
            "TmpSecretKey": issued.secret_key,
        },
        "ExpiredTime": issued.expires_at,
        "Expiration": _expiration(issued.expires_at),
    }


# --- actions ------------------------------------------------------------------------------------------------------


def get_federation_token(app: Emulator, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    _check_known(params, {"Name", "Policy", "DurationSeconds"})
    if caller.principal.is_temporary:
        raise StsError(
            "FailedOperation.TempKeyNotAllowed", "GetFederationToken only accepts permanent keys, not temporary ones."
        )
    name = _required_string(params, "Name")
    if not _NAME.fullmatch(name):
        raise StsError("InvalidParameter.ParamError", "Name must be 2 to 32 characters of letters, digits and +=,.@_-.")
    maximum = FEDERATION_MAX_DURATION_ROOT if caller.is_root else FEDERATION_MAX_DURATION_SUBACCOUNT
    duration = _duration(params, default=FEDERATION_DEFAULT_DURATION, maximum=maximum)
    session = _session_policy(_required_string(params, "Policy"))
    resource = f"qcs::sts::uin/{app.config.uin}:federated-user/{name}"
    if not caller.may("name/sts:GetFederationToken", resource):
        raise StsError(
            "AuthFailure.UnauthorizedOperation",
            f"`{caller.principal.name}` is not allowed name/sts:GetFederationToken on {resource}.",
        )
    policies = [session] if caller.is_root else [*(json.loads(p) for p in caller.principal.policies), session]
    return _credentials_response(app, name=f"federated:{name}", policies=policies, duration=duration)


def assume_role(app: Emulator, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    _check_known(
        params, {"RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId", "Tags", "SourceIdentity"}
    )
    role_arn = _required_string(params, "RoleArn")
    session_name = _required_string(params, "RoleSessionName")
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise StsError(
            "InvalidParameter.ParamError",
            f"RoleArn `{role_arn}` is not a role ARN like qcs::cam::uin/{app.config.uin}:roleName/<name>.",
        )
    role_policy = app.config.roles.get(match["name"]) if match["kind"] == "roleName" else None
    if match["uin"] != app.config.uin or role_policy is None:
        raise StsError(
            "ResourceNotFound.RoleNotFound",
            f"The role `{role_arn}` does not exist in account {app.config.uin}"
            + (f" (roles: {', '.join(sorted(app.config.roles))})." if app.config.roles else " (no roles are defined)."),
        )
    if not _SESSION_NAME.fullmatch(session_name):
        raise StsError(
            "InvalidParameter.ParamError",
            "RoleSessionName must be 2 to 128 characters of letters, digits and +=,.@_-.",
        )
    duration = _duration(params, default=ROLE_DEFAULT_DURATION, maximum=ROLE_MAX_DURATION)
    raw_policy = params.get("Policy")
    session = _session_policy(_required_string(params, "Policy")) if raw_policy not in (None, "") else None
    if not caller.may("name/sts:AssumeRole", role_arn):
        raise StsError(
            "AuthFailure.UnauthorizedOperation",
            f"`{caller.principal.name}` is not allowed name/sts:AssumeRole on {role_arn}.",
        )
    policies = [role_policy] if session is None else [role_policy, session]
    name = f"role:{match['name']}/{session_name}"
    return _credentials_response(app, name=name, policies=policies, duration=duration)


ACTIONS: dict[str, Callable[[Emulator, Caller, Mapping[str, Any]], dict[str, Any]]] = {
    "GetFederationToken": get_federation_token,
    "AssumeRole": assume_role,
}
