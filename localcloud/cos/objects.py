"""Object operations: PutObject, GetObject (ranges, preconditions, response-* overrides), HeadObject, DeleteObject.

Each runs after the dispatcher (service.py) has checked the key and authorised it; multipart uploads are in
multipart.py. `x-cos-forbid-overwrite: true` on a PUT refuses a key that already names an object with COS's 409
FileAlreadyExists (on a non-versioned bucket, and localcloud's buckets are never versioned).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from localcloud.cos import acl, images, tagging, xml
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, no_such_key
from localcloud.cos.request import Response
from localcloud.cos.storage import ObjectInfo, ObjectSettings

RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.ASCII)
# Positions longer than this are beyond any object (and int() refuses more than 4300 digits): read them as this.
BEYOND = 10**19
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


# Request headers that set an object's tags and ACL; a multipart upload keeps them with its headers until Complete.
SETTING_HEADERS = ("x-cos-tagging", "x-cos-acl", *acl.GRANT_HEADERS)


def settings_of(headers: Mapping[str, str]) -> ObjectSettings:
    """The tags (x-cos-tagging) and ACL (x-cos-acl, x-cos-grant-*) an upload or copy gives its object."""
    return ObjectSettings(
        tags=tagging.from_header(headers.get("x-cos-tagging")), acl=acl.from_headers(dict(headers), for_object=True)
    )


FORBID_OVERWRITE = "x-cos-forbid-overwrite"


def refuse_overwrite(call: Call) -> None:
    """409 FileAlreadyExists when the request says `x-cos-forbid-overwrite: true` and the key names an object.

    Checked when the request arrives: two writers racing for a new key may both pass (localcloud does not lock)."""
    if call.request.headers.get(FORBID_OVERWRITE, "").strip().lower() != "true":
        return
    if call.storage.get_object(call.bucket_name, call.key) is not None:
        raise CosError(
            409, "FileAlreadyExists", f"The object {call.key!r} already exists and x-cos-forbid-overwrite is true."
        )


def put_object(call: Call) -> Response:
    call.bucket()
    refuse_overwrite(call)
    settings = settings_of(call.request.headers)
    expected_md5 = call.content_md5()
    received = call.storage.receive(
        call.request.body, call.request.content_length, lambda n: call.ctx.stats.add("cos:bytes_in", n)
    )
    try:
        if expected_md5 is not None and expected_md5 != received.md5:
            raise CosError(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
        etag = f'"{received.md5.hex()}"'
        call.storage.put_object(call.bucket_name, call.key, received, etag, call.kept_headers(), settings)
    finally:
        call.storage.discard(received)  # a no-op once the body was moved into place
    return Response(200, [("ETag", etag)])


def _object(call: Call) -> ObjectInfo:
    call.bucket()
    info = call.storage.get_object(call.bucket_name, call.key)
    if info is None:
        raise no_such_key(call.key)
    return info


def _object_headers(call: Call, info: ObjectInfo) -> list[tuple[str, str]]:
    headers = dict(info.headers)
    for param, header in RESPONSE_OVERRIDES.items():
        value = call.param(param)
        if value is not None:
            headers[header] = value
    if info.tags:
        headers["x-cos-tagging-count"] = str(len(info.tags))
    return [
        *headers.items(),
        ("ETag", info.etag),
        ("Last-Modified", xml.http_date(info.modified)),
        ("Accept-Ranges", "bytes"),
        ("x-cos-storage-class", "STANDARD"),
    ]


def _byte_range(value: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive, None for the whole object; CosError 416 when the range cannot be satisfied."""
    if not value:
        return None
    match = RANGE.match(value.strip().replace(" ", ""))
    if match is None or (not match[1] and not match[2]):
        return None  # not a single byte range: like S3, answer the whole object
    first_text, last_text = match[1], match[2]
    if first_text:
        first = _position(first_text)
        last = min(_position(last_text), size - 1) if last_text else size - 1
        if last_text and _position(last_text) < first:
            return None
        if first >= size:
            raise _invalid_range(size)
        return first, last
    suffix = _position(last_text)
    if suffix == 0 or size == 0:
        raise _invalid_range(size)
    return max(0, size - suffix), size - 1


def _position(digits: str) -> int:
    """A byte position of a Range header (ASCII digits), capped at BEYOND."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 19 else BEYOND


def _invalid_range(size: int) -> CosError:
    return CosError(
        416, "InvalidRange", "The requested range is not satisfiable.", [("Content-Range", f"bytes */{size}")]
    )


def _preconditions(call: Call, info: ObjectInfo) -> Response | None:
    """If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), as RFC 9110 orders them."""
    headers = call.request.headers
    etag = info.etag.strip('"')

    def etags(value: str) -> set[str]:
        return {item.strip().removeprefix("W/").strip('"') for item in value.split(",")}

    def since(value: str) -> float | None:
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return None

    failed = CosError(412, "PreconditionFailed", "At least one of the preconditions you specified did not hold.")
    if "if-match" in headers:
        wanted = etags(headers["if-match"])
        if "*" not in wanted and etag not in wanted:
            raise failed
    elif "if-unmodified-since" in headers:
        limit = since(headers["if-unmodified-since"])
        if limit is not None and int(info.modified) > limit:
            raise failed
    not_modified = Response(304, [("ETag", info.etag), ("Last-Modified", xml.http_date(info.modified))])
    if "if-none-match" in headers:
        wanted = etags(headers["if-none-match"])
        if "*" in wanted or etag in wanted:
            return not_modified
    elif "if-modified-since" in headers:
        limit = since(headers["if-modified-since"])
        if limit is not None and int(info.modified) <= limit:
            return not_modified
    return None


def get_object(call: Call) -> Response:
    info = _object(call)
    unchanged = _preconditions(call, info)
    if unchanged is not None:
        return unchanged
    rule = images.requested(call)
    if rule is not None:  # ?imageMogr2/...: the processed image (Cloud Infinite), not the stored bytes
        return images.process(call, info, rule)
    headers = _object_headers(call, info)
    byte_range = _byte_range(call.request.headers.get("range"), info.size)
    try:
        handle = call.storage.open_object(info)
    except FileNotFoundError:  # replaced or deleted between the lookup and the open
        raise no_such_key(call.key) from None
    if byte_range is None:
        return Response(200, headers, file=(handle, 0, info.size))
    first, last = byte_range
    headers.append(("Content-Range", f"bytes {first}-{last}/{info.size}"))
    return Response(206, headers, file=(handle, first, last - first + 1))


def head_object(call: Call) -> Response:
    info = _object(call)
    unchanged = _preconditions(call, info)
    if unchanged is not None:
        return unchanged
    return Response(200, [*_object_headers(call, info), ("Content-Length", str(info.size))])


def delete_object(call: Call) -> Response:
    call.bucket()
    call.storage.delete_object(call.bucket_name, call.key)
    return Response(204)
