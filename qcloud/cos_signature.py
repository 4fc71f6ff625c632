"""The COS XML API request signature (q-sign-algorithm=sha1), as cos-python-sdk-v5 and cos-js-sdk-v5 compute it.

Pure functions, shared by localcloud (which verifies) and tests or tools (which sign):

    SignKey      = hex(HMAC-SHA1(SecretKey, KeyTime))
    HttpString   = lower(method) \\n /<decoded key> \\n <params> \\n <headers> \\n
    StringToSign = "sha1" \\n SignTime \\n hex(SHA1(HttpString)) \\n
    Signature    = hex(HMAC-SHA1(SignKey, StringToSign))

`<params>` and `<headers>` are `lower(enc(name))=enc(value)` pairs joined by `&` and sorted, built only from the names
listed in q-url-param-list / q-header-list; enc is RFC 3986 percent-encoding with `-_.~` left as is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from urllib.parse import quote

ALGORITHM = "sha1"
FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)
# A signature time: Unix seconds in 1 to 20 ASCII digits, so that int() never sees thousands of digits (or '²').
_TIME = re.compile(r"[0-9]{1,20}", re.ASCII)


class SignatureFormatError(ValueError):
    """An Authorization value (or presigned query) that is not a well-formed COS signature."""


def encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, leaving only unreserved characters (`-_.~` and alphanumerics)."""
    return quote(value.encode("utf-8"), safe="-_.~")


def parse_authorization(value: str) -> dict[str, str]:
    """Split `q-sign-algorithm=sha1&q-ak=...&q-signature=...` into its fields; every field must be present."""
    fields: dict[str, str] = {}
    for part in value.strip().split("&"):
        if not part:
            continue
        name, sep, field_value = part.partition("=")
        if not sep:
            raise SignatureFormatError(f"malformed field {name!r} in the Authorization value: expected name=value")
        fields[name.strip()] = field_value.strip()
    missing = [name for name in FIELDS if name not in fields]
    if missing:
        raise SignatureFormatError(f"the signature lacks {', '.join(missing)}")
    if fields["q-sign-algorithm"].lower() != ALGORITHM:
        raise SignatureFormatError(f"unsupported q-sign-algorithm {fields['q-sign-algorithm']!r}: only sha1")
    for name in ("q-sign-time", "q-key-time"):
        parse_time_window(fields[name], name)
    return fields


def parse_time_window(value: str, name: str = "q-sign-time") -> tuple[int, int]:
    """`<start>;<end>` in Unix seconds: 1 to 20 ASCII digits each."""
    start, sep, end = value.partition(";")
    start, end = start.strip(), end.strip()
    if not sep or not _TIME.fullmatch(start) or not _TIME.fullmatch(end):
        raise SignatureFormatError(f"{name} must be '<start>;<end>' in Unix seconds, got {value[:80]!r}")
    return int(start), int(end)


def split_list(value: str) -> list[str]:
    """A q-header-list / q-url-param-list value: names separated by `;` (may be empty)."""
    return [name for name in value.split(";") if name]


def _canonical(pairs: Mapping[str, str], names: Sequence[str]) -> str:
    encoded = {encode(name).lower(): encode(value) for name, value in pairs.items()}
    wanted = {name.lower() for name in names}
    return "&".join(f"{name}={value}" for name, value in sorted(encoded.items()) if name in wanted)


def http_string(
    method: str,
    key: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    param_list: Sequence[str],
    header_list: Sequence[str],
) -> str:
    """The HttpString: `key` is the decoded object key or "" for bucket and service requests; the path is "/" + key.

    `params` and `headers` hold decoded names and values (any case); only those named in the lists take part.
    """
    return f"{method.lower()}\n/{key}\n{_canonical(params, param_list)}\n{_canonical(headers, header_list)}\n"


def string_to_sign(sign_time: str, http_string: str) -> str:
    digest = hashlib.sha1(http_string.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's hash
    return f"{ALGORITHM}\n{sign_time}\n{digest}\n"


def sign_key(secret_key: str, key_time: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()


def signature(secret_key: str, key_time: str, string_to_sign: str) -> str:
    return hmac.new(
        sign_key(secret_key, key_time).encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1
    ).hexdigest()


def make_authorization(
    secret_id: str,
    secret_key: str,
    method: str,
    key: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    start: int | None = None,
    expires: int = 600,
) -> str:
    """A complete Authorization value signing every given param and header (for tests and tools)."""
    params = dict(params or {})
    headers = dict(headers or {})
    begin = int(time.time()) if start is None else start
    window = f"{begin};{begin + expires}"
    param_names = sorted(encode(name).lower() for name in params)
    header_names = sorted(encode(name).lower() for name in headers)
    text = http_string(method, key, params, headers, param_names, header_names)
    sig = signature(secret_key, window, string_to_sign(window, text))
    return (
        f"q-sign-algorithm={ALGORITHM}&q-ak={secret_id}&q-sign-time={window}&q-key-time={window}"
        f"&q-header-list={';'.join(header_names)}&q-url-param-list={';'.join(param_names)}&q-signature={sig}"
    )
