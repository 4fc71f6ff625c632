"""TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0 (STS and every other 3.0 API).

Pure functions shared by localcloud (which verifies) and anything that needs to sign by hand. They follow the SDK's
`AbstractClient._get_tc3_signature` and the official signature v3 documentation:

    CanonicalRequest = Method \n URI \n Query \n CanonicalHeaders \n SignedHeaders \n hex(sha256(payload))
    StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n <date>/<service>/tc3_request \n hex(sha256(CanonicalRequest))
    SecretSigning    = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
    Signature        = hex(HMAC(SecretSigning, StringToSign))
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
# Sent by clients that do not hash the body (HttpProfile's unsignedPayload); the literal string is hashed instead.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256\s+"
    r"Credential=(?P<secret_id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/,\s]+)/tc3_request\s*,\s*"
    r"SignedHeaders=(?P<signed_headers>[a-z0-9;_.-]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]{64})\s*$",
    re.ASCII,  # `\d` and `\s` mean ASCII digits and white space, not any Unicode ones
)


class AuthorizationFormatError(ValueError):
    """The Authorization header is not a TC3-HMAC-SHA256 authorization."""


@dataclass(frozen=True)
class TC3Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> TC3Authorization:
    """`TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`."""
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        raise AuthorizationFormatError(
            "expected 'TC3-HMAC-SHA256 Credential=<SecretId>/<yyyy-mm-dd>/<service>/tc3_request, "
            "SignedHeaders=<h1;h2>, Signature=<64 hex digits>'"
        )
    return TC3Authorization(
        secret_id=match["secret_id"],
        date=match["date"],
        service=match["service"],
        signed_headers=tuple(match["signed_headers"].split(";")),
        signature=match["signature"].lower(),
    )


def canonical_headers(headers: Mapping[str, str], signed_headers: Sequence[str]) -> str:
    """`name:value\\n` for every signed header, names and values lowercased and trimmed, in SignedHeaders order."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return "".join(f"{name}:{lowered.get(name, '').strip().lower()}\n" for name in signed_headers)


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload: bytes,
    *,
    unsigned_payload: bool = False,
) -> str:
    payload_hash = hashlib.sha256(UNSIGNED_PAYLOAD.encode() if unsigned_payload else payload).hexdigest()
    return "\n".join(
        [
            method.upper(),
            uri,
            query,
            canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def date_of(timestamp: int) -> str:
    """The credential-scope date of a timestamp: its UTC day, as the SDK computes it."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def string_to_sign(timestamp: int, service: str, canonical_request: str) -> str:
    scope = f"{date_of(timestamp)}/{service}/tc3_request"
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sign(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    signing_key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    """The Authorization header for a canonical request signed with `content-type;host` (tests and tools)."""
    date = date_of(timestamp)
    signature = sign(secret_key, date, service, string_to_sign(timestamp, service, canonical))
    return (
        f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
