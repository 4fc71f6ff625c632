"""Server-side encryption headers and storage classes, as COS takes and gives them back (API reference "PUT Object",
"GET Object", "服务端加密概述"): never silently dropped.

- SSE-COS: `x-cos-server-side-encryption: AES256` on PUT Object / Initiate Multipart Upload is stored with the object
  and echoed on PUT, Complete, GET and HEAD.
- SSE-C: `x-cos-server-side-encryption-customer-algorithm: AES256`, `-customer-key` (base64 of 32 bytes) and
  `-customer-key-MD5` (base64 MD5 of the key, checked). The key itself is never stored: a salted SHA-256 of it is, and
  GET/HEAD must send the same key again (400 InvalidArgument without it, 403 AccessDenied with another one, as S3,
  whose SSE-C COS follows, answers). The algorithm and the key's MD5 are echoed.
- SSE-KMS (`x-cos-server-side-encryption: cos/kms`) and storage classes other than STANDARD are COS features
  localcloud does not have: 501 NotImplemented, not a silent STANDARD unencrypted object.

localcloud keeps bodies as sent either way (it is an emulator on the developer's own disk): what is emulated is the
protocol, so code written against it sends and checks the headers COS needs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from localcloud.cos.errors import CosError, access_denied, invalid_argument
from localcloud.cos.request import Response

if TYPE_CHECKING:  # call.py uses stored_headers
    from localcloud.cos.call import Call

SSE = "x-cos-server-side-encryption"
ALGORITHM = "x-cos-server-side-encryption-customer-algorithm"
KEY = "x-cos-server-side-encryption-customer-key"
KEY_MD5 = "x-cos-server-side-encryption-customer-key-MD5"
STORAGE_CLASS = "x-cos-storage-class"
# Stored with an SSE-C object, never answered: "<salt hex>$<sha256 hex of salt + key>".
KEY_HASH = "x-localcloud-sse-c-key-hash"
# COS's storage classes (API reference "存储类型概述"); only STANDARD exists here.
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "STANDARD_IA",
        "ARCHIVE",
        "DEEP_ARCHIVE",
        "INTELLIGENT_TIERING",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
        "MAZ_ARCHIVE",
    }
)
ECHOED = (SSE, ALGORITHM, KEY_MD5)
WRITES = frozenset({"PutObject", "InitiateMultipartUpload"})
READS = frozenset({"GetObject", "HeadObject"})


def _customer_key(headers: Mapping[str, str]) -> tuple[bytes, str] | None:
    """The SSE-C key and its MD5 header value, checked; None when the request names no customer key."""
    names = (ALGORITHM, KEY, KEY_MD5.lower())
    given = [headers.get(name) for name in names]
    if all(value is None for value in given):
        return None
    algorithm, key_text, md5_text = given
    if algorithm is None or key_text is None or md5_text is None:
        raise invalid_argument("SSE-C needs the customer algorithm, key and key MD5 headers together.")
    if algorithm != "AES256":
        raise invalid_argument(f"The SSE-C algorithm must be AES256, got {algorithm[:20]!r}.")
    try:
        key = base64.b64decode(key_text, validate=True)
        md5 = base64.b64decode(md5_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid_argument("The SSE-C key and key MD5 must be base64.") from exc
    if len(key) != 32:
        raise invalid_argument("The SSE-C key must be 256 bits (32 bytes, base64-encoded).")
    if not hmac.compare_digest(hashlib.md5(key).digest(), md5):  # noqa: S324 - the protocol's digest
        raise invalid_argument("The SSE-C key MD5 does not match the key.")
    return key, md5_text


def _hash(key: bytes, salt: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + key).hexdigest()


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """What a new object (or upload) keeps of the request's encryption headers (names in lower case); refuses what
    localcloud lacks."""
    kept: dict[str, str] = {}
    storage_class = headers.get(STORAGE_CLASS)
    if storage_class is not None:
        if storage_class.upper() not in STORAGE_CLASSES:
            raise invalid_argument(f"{storage_class[:40]!r} is not a COS storage class.")
        if storage_class.upper() != "STANDARD":
            raise CosError(
                501, "NotImplemented", f"localcloud has only the STANDARD storage class, not {storage_class}."
            )
    sse = headers.get(SSE)
    customer = _customer_key(headers)
    if sse is not None and customer is not None:
        raise invalid_argument("x-cos-server-side-encryption and SSE-C headers exclude each other.")
    if sse is not None:
        if sse == "cos/kms":
            raise CosError(501, "NotImplemented", "localcloud does not implement SSE-KMS (cos/kms).")
        if sse != "AES256":
            raise invalid_argument(f"x-cos-server-side-encryption must be AES256 or cos/kms, got {sse[:20]!r}.")
        kept[SSE] = "AES256"
    if customer is not None:
        key, md5_text = customer
        salt = secrets.token_hex(16)
        kept.update({ALGORITHM: "AES256", KEY_MD5: md5_text, KEY_HASH: f"{salt}${_hash(key, salt)}"})
    return kept


def _echo(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    lower = {name.lower(): value for name, value in headers.items()}
    return [(name, lower[name.lower()]) for name in ECHOED if name.lower() in lower]


def require_key(call: Call, stored_headers: Mapping[str, str]) -> None:
    """For a read of an object with these stored headers: the SSE-C key it was written with, if it was."""
    stored = {name.lower(): value for name, value in stored_headers.items()}.get(KEY_HASH)
    if stored is not None:
        _check_customer_key(call, stored)


def _check_customer_key(call: Call, stored: str) -> None:
    salt, _, digest = stored.partition("$")
    customer = _customer_key(call.request.headers)
    if customer is None:
        raise invalid_argument("The object is encrypted with a customer key (SSE-C): send the same key to read it.")
    if not hmac.compare_digest(_hash(customer[0], salt), digest):
        raise access_denied("Access Denied: the SSE-C key does not match the key the object was written with.")


def finish(operation: str, call: Call, response: Response) -> None:
    """After the handler: echo what was stored, require the customer key on reads, and never answer KEY_HASH."""
    if operation in WRITES and response.status < 300:
        response.headers.extend(_echo(stored_headers(call.request.headers)))
    elif operation == "CompleteMultipartUpload" and response.status < 300:
        info = call.storage.get_object(call.bucket_name, call.key)
        if info is not None:
            response.headers.extend(_echo(info.headers))
    if operation not in READS:
        return
    stored = response.header(KEY_HASH)
    response.headers = [(name, value) for name, value in response.headers if name.lower() != KEY_HASH]
    if response.status == 304:  # a 304 carries no stored headers, yet must not confirm an ETag without the key
        info = call.storage.get_object(call.bucket_name, call.key)
        if info is not None:
            require_key(call, info.headers)
        return
    if stored is not None and response.status < 300:
        try:
            _check_customer_key(call, stored)
        except CosError:
            if response.file is not None:
                response.file[0].close()
            raise
