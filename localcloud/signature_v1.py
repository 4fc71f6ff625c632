"""The older form-parameter signature of API 3.0 ("signature v1"), as qcloud-cos-sts-sdk sends it.

Tencent's signature v1 documentation and the SDK sources (qcloud-python-sts 3.1.6 `Sts.__encrypt`, npm qcloud-cos-sts
3.1.3 `util.getSignature`) agree:

    StringToSign = METHOD + host + path + "?" + "&".join(f"{name}={value}" for the parameters sorted by name)

with every parameter but `Signature`, values as sent (not URL-encoded: the SDKs encode `Policy` themselves first),
path `/`, and `Signature = base64(HMAC(SecretKey, StringToSign))` with SHA-1 (`SignatureMethod` absent or `HmacSHA1`)
or SHA-256 (`HmacSHA256`). The common parameters are Action, Region, Timestamp, Nonce, SecretId, Signature, Version,
SignatureMethod, Token and Language; the rest belong to the action. The host is the one the client signed: the SDKs
sign their `domain` / `host` option, which must then be the host they reach localcloud at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from localcloud.numbers import ascii_int

COMMON = frozenset(
    {
        "Action",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
        "Version",
        "SignatureMethod",
        "Token",
        "Language",
    }
)
METHODS = {"HmacSHA1": hashlib.sha1, "HmacSHA256": hashlib.sha256}


class SignatureFormatError(ValueError):
    """A required common parameter is missing or malformed; `code` is the API error code to answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class SignatureMismatch(ValueError):
    """The signature does not match; str() is the string localcloud signed."""


@dataclass(frozen=True)
class SignedParams:
    params: dict[str, str]  # everything sent, Signature included
    secret_id: str
    timestamp: int
    nonce: int
    signature: str
    method: str  # HmacSHA1 or HmacSHA256

    @property
    def action(self) -> str:
        return self.params.get("Action", "")

    @property
    def version(self) -> str:
        return self.params.get("Version", "")

    @property
    def region(self) -> str:
        return self.params.get("Region", "")

    @property
    def token(self) -> str:
        return self.params.get("Token", "")

    @property
    def action_params(self) -> dict[str, str]:
        return {name: value for name, value in self.params.items() if name not in COMMON}


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise SignatureFormatError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    return value


def _positive(params: Mapping[str, str], name: str) -> int:
    value = ascii_int(_required(params, name), 12)
    if value is None or value <= 0:
        raise SignatureFormatError("InvalidParameter", f"The parameter `{name}` must be a positive integer.")
    return value


def parse(params: dict[str, str]) -> SignedParams:
    secret_id = _required(params, "SecretId")
    signature = _required(params, "Signature")
    timestamp = _positive(params, "Timestamp")
    nonce = _positive(params, "Nonce")
    method = params.get("SignatureMethod") or "HmacSHA1"
    if method not in METHODS:
        raise SignatureFormatError(
            "InvalidParameter.SignatureMethod", f"SignatureMethod `{method}` is not one of HmacSHA1, HmacSHA256."
        )
    return SignedParams(params, secret_id, timestamp, nonce, signature, method)


def string_to_sign(method: str, host: str, params: Mapping[str, str]) -> str:
    pairs = sorted((name, value) for name, value in params.items() if name != "Signature")
    return f"{method.upper()}{host}/?" + "&".join(f"{name}={value}" for name, value in pairs)


def sign(secret_key: str, text: str, method: str = "HmacSHA1") -> str:
    digest = hmac.new(secret_key.encode(), text.encode(), METHODS[method]).digest()
    return base64.b64encode(digest).decode()


def verify(signed: SignedParams, http_method: str, host: str, secret_key: str) -> None:
    text = string_to_sign(http_method, host, signed.params)
    expected = sign(secret_key, text, signed.method)
    if not secrets.compare_digest(expected.encode(), signed.signature.encode("utf-8", "replace")):
        raise SignatureMismatch(text)


class NonceLog:
    """The (SecretId, Timestamp, Nonce) triples seen while their Timestamp is within the accepted skew.

    Tencent documents the Nonce as the guard against replays: the same signed request sent again inside the window
    is refused (as AuthFailure.SignatureFailure: the documentation names no other code for it).
    """

    def __init__(self, window: int) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int, int], int] = {}

    def first_use(self, secret_id: str, timestamp: int, nonce: int, now: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {key: ts for key, ts in self._seen.items() if abs(now - ts) <= self._window}
            key = (secret_id, timestamp, nonce)
            if key in self._seen:
                return False
            self._seen[key] = timestamp
            return True
