"""Who sent a COS request, and may they do what they ask.

The signature is checked exactly as DESIGN.md describes it (qcloud.cos_signature); a mismatch answers
SignatureDoesNotMatch with the StringToSign and HttpString localcloud expected (never a key), as Azurite does.
Temporary credentials must carry their token (`x-cos-security-token`, header or query), be unexpired, and pass every
one of their CAM policies (qcloud.operations.authorize). The root account may do everything. An unsigned request
is anonymous: CAM policies never allow it anything, the access control lists of the bucket and the object may let it
read (acl.py; the dispatcher asks them, call.py).
"""

from __future__ import annotations

import email.utils
import functools
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from localcloud.cos.addressing import hostname
from localcloud.cos.errors import CosError, access_denied
from localcloud.cos.request import CosRequest
from localcloud.credentials import CredentialStore, Principal
from qcloud import cos_signature
from qcloud.endpoints import COS_SUFFIX, LOCAL_SUFFIX, virtual_host
from qcloud.operations import authorize
from qcloud.policy import Policy, PolicyError, RequestContext, parse_policy

log = logging.getLogger(__name__)

# How far in the future a signature may start (client clocks run fast). The Python SDK starts its window 60 s early.
MAX_SKEW = 15 * 60
TOKEN = "x-cos-security-token"  # noqa: S105 - a header name, not a secret


@dataclass(frozen=True)
class Caller:
    principal: Principal | None  # None: anonymous (unsigned)
    presigned: bool
    # The query parameter names the signature binds (q-url-param-list: lower case, percent-encoded as signed). Only
    # these may change the answer: an unsigned response-content-disposition, prefix or imageMogr2 rule appended to a
    # presigned URL counts for nothing (cos-python-sdk-v5 and cos-js-sdk-v5 sign every parameter they send).
    signed_params: frozenset[str] = frozenset()

    def signs(self, name: str) -> bool:
        return cos_signature.encode(name).lower() in self.signed_params

    @property
    def anonymous(self) -> bool:
        return self.principal is None


@functools.lru_cache(maxsize=1024)
def _policy(text: str) -> Policy:
    return parse_policy(text)


def _strict(value: str) -> str:
    """The signature's fields as sent: COS does not trim them, so a SecretId or signature with stray whitespace
    (a copy-paste accident, or a proxy's doing) names another key or another signature and fails, as on COS."""
    for part in value.split("&"):
        name, _, field_value = part.partition("=")
        if name != name.strip() or field_value != field_value.strip():
            if name.strip() == "q-ak":
                raise CosError(403, "InvalidAccessKeyId", "The access key Id format you provided is invalid.")
            raise CosError(
                403,
                "SignatureDoesNotMatch",
                f"The Signature you specified is invalid: its field {name.strip()[:40]!r} has leading or trailing "
                "whitespace.",
            )
    return value


def _signature_fields(request: CosRequest) -> tuple[dict[str, str], bool] | None:
    header = request.headers.get("authorization", "").strip()
    if header:
        try:
            return cos_signature.parse_authorization(_strict(header)), False
        except cos_signature.SignatureFormatError as exc:
            raise access_denied(f"The Authorization header is not a valid COS signature: {exc}.") from exc
    names = {name.lower(): name for name in request.params}
    if "q-signature" in names or "q-ak" in names or "sign" in names:
        if "sign" in names and "q-signature" not in names:
            value = request.params[names["sign"]]  # some SDKs put the whole Authorization value in ?sign=
        else:
            value = "&".join(f"{name}={request.params[names[name]]}" for name in cos_signature.FIELDS if name in names)
        try:
            return cos_signature.parse_authorization(_strict(value)), True
        except cos_signature.SignatureFormatError as exc:
            raise access_denied(f"The presigned URL does not carry a valid COS signature: {exc}.") from exc
    return None


def authenticate(request: CosRequest, credentials: CredentialStore, now: float) -> Caller:
    found = _signature_fields(request)
    if found is None:
        return Caller(None, presigned=False)
    fields, presigned = found
    principal = credentials.lookup(fields["q-ak"])
    if principal is None:
        raise CosError(403, "InvalidAccessKeyId", "The access key Id format you provided is invalid.")

    start, end = cos_signature.parse_time_window(fields["q-sign-time"])
    if now > end or start > now + MAX_SKEW:
        raise _outside_window(start, end, now)
    _check_signature(request, fields, principal)

    if principal.is_temporary:
        token = request.headers.get(TOKEN) or _param(request.params, TOKEN)
        if not token:
            raise CosError(
                403,
                "InvalidAccessKeyId",
                "The access key Id is a temporary key: the request must carry its x-cos-security-token.",
            )
        if principal.token is None or not _same(token, principal.token):
            raise CosError(
                403, "InvalidAccessKeyId", "The x-cos-security-token does not belong to this temporary access key Id."
            )
        if principal.expires_at is not None and now >= principal.expires_at:
            raise access_denied(
                f"Request has expired: the temporary credentials expired at {_iso(principal.expires_at)}."
            )
    return Caller(principal, presigned, frozenset(cos_signature.split_list(fields["q-url-param-list"].lower())))


def _outside_window(start: float, end: float, now: float) -> CosError:
    """A signature outside its time window, answered as COS answers it, with the server's `Date`.

    cos-js-sdk-v5 corrects its clock (and retries) on exactly these two answers: code RequestTimeTooSkewed, or
    AccessDenied with the message "Request has expired" (compared as a whole), reading the server's time from the
    response's Date header (which the bucket's CORS rule must expose to a browser)."""
    date = [("Date", email.utils.formatdate(now, usegmt=True))]
    if now > end:
        log.info("signature window ended at %s, it is now %s", _iso(end), _iso(now))
        return CosError(403, "AccessDenied", "Request has expired", date)
    return CosError(
        403,
        "RequestTimeTooSkewed",
        f"The difference between the request time and the server's time is too large: the signature starts at "
        f"{_iso(start)}, it is now {_iso(now)}.",
        date,
    )


def _param(params: Mapping[str, str], name: str) -> str | None:
    for key, value in params.items():
        if key.lower() == name:
            return value
    return None


def _check_signature(request: CosRequest, fields: dict[str, str], principal: Principal) -> None:
    header_list = cos_signature.split_list(fields["q-header-list"])
    param_list = cos_signature.split_list(fields["q-url-param-list"])
    headers = dict(request.headers)
    key_time = fields["q-key-time"]
    if request.target.style == "path":
        attempts = _path_style_hosts(request, header_list)
    else:
        attempts = [headers.get("host", "")]
        bare = hostname(attempts[0])
        if bare != attempts[0].lower():
            attempts.append(bare)
    expected = ("", "")
    for host in attempts:
        headers["host"] = host
        text = cos_signature.http_string(
            request.method, request.target.key, request.params, headers, param_list, header_list
        )
        to_sign = cos_signature.string_to_sign(fields["q-sign-time"], text)
        computed = cos_signature.signature(principal.secret_key, key_time, to_sign)
        if _same(computed, fields["q-signature"].lower()):
            return
        if not expected[0]:
            expected = (to_sign, text)
    to_sign, text = expected
    # The client may have signed its session token (cos-python-sdk-v5 signs every x-cos-* header): never echo it.
    token = request.headers.get(TOKEN) or _param(request.params, TOKEN)
    if token:
        text = text.replace(cos_signature.encode(token), "<x-cos-security-token>")
    raise CosError(
        403,
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid. localcloud expected the StringToSign "
        f"{to_sign!r}, built from the HttpString {text!r} (signed headers: {';'.join(header_list) or '(none)'}; "
        f"signed query parameters: {';'.join(param_list) or '(none)'}).",
    )


def _path_style_hosts(request: CosRequest, header_list: list[str]) -> list[str]:
    """The hosts a path-style signature may have signed: only its bucket's own virtual hosts.

    Both SDKs sign the path as `/<key>`, never the `/cos/<region>/<bucket>` prefix, so a path-style signature binds
    its bucket and region only through the signed `host`. localcloud therefore checks it as if the request had gone
    to `<bucket>.cos.<region>.localhost[:port]` (or `.myqcloud.com`): a signature made for 127.0.0.1, or for another
    bucket or region, fails, and a presigned link for one bucket reads nothing in another. Browsers use the virtual
    host itself (qcloud.endpoints); path style is a localcloud convenience that COS does not have."""
    target = request.target
    own = virtual_host(target.bucket or "", target.region or "", LOCAL_SUFFIX)
    if "host" not in (name.lower() for name in header_list):
        raise CosError(
            403,
            "SignatureDoesNotMatch",
            "The Signature you specified is invalid: a path-style request (/cos/<region>/<bucket>/<key>) must sign "
            f"the host header with its bucket's virtual host {own!r}.",
        )
    received = request.headers.get("host", "")
    port = received.rsplit(":", 1)[1] if ":" in received and not received.endswith("]") else ""
    hosts = []
    for suffix in (LOCAL_SUFFIX, COS_SUFFIX):
        name = virtual_host(target.bucket or "", target.region or "", suffix)
        hosts += [f"{name}:{port}", name] if port else [name]
    return hosts


def check_access(
    caller: Caller,
    operation: str,
    *,
    region: str,
    appid: str,
    bucket: str | None,
    key: str = "",
    prefix: str = "",
    context: RequestContext | None = None,
) -> None:
    """AccessDenied unless the caller's policies allow `operation` on the resource, judged with `context` (what the
    request itself carries: its Content-Length, Content-Type, client address and headers)."""
    principal = caller.principal
    if principal is None:
        raise access_denied("Access Denied: the request is anonymous and the resource's ACL does not make it public.")
    if principal.is_root:
        return
    try:
        policies = [_policy(text) for text in principal.policies]
    except PolicyError as exc:  # a policy that was stored must have parsed; refuse rather than guess
        log.error("stored policy of %s does not parse: %s", principal.name, exc)
        raise access_denied(f"Access Denied: the credentials' policy does not parse ({exc}).") from exc
    decision = authorize(
        policies, operation, region=region, appid=appid, bucket=bucket, key=key, prefix=prefix, context=context
    )
    if not decision.allowed:
        raise access_denied(f"Access Denied: {decision.reason}.")


def _same(given: str, expected: str) -> bool:
    """Constant-time equality of two strings as UTF-8 bytes (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _iso(when: float) -> str:
    """A time for a message; a signature may name one outside what gmtime() renders (after the year 9999)."""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    except (OverflowError, ValueError, OSError):
        return f"{when:.0f} (Unix seconds)"
