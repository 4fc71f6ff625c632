"""PUT Object - Copy and Upload Part - Copy: `x-cos-copy-source: <bucket-appid>.cos.<region>.myqcloud.com/<key>`.

Followed: Tencent's API references "PUT Object - Copy" and "Upload Part - Copy", and what the SDKs send
(cos-python-sdk-v5 gen_copy_source_url: the key percent-encoded, `?versionId=` appended for a version;
cos-js-sdk-v5 getSourceParams). A copy shares the source's stored body (storage.copy_object: hard links), so it
reads no data whatever the size; a part copy streams its byte range into a new part, never holding it in memory.

Metadata: `x-cos-metadata-directive: Copy` (the default) keeps the source's Content-Type, Cache-Control, ... and
x-cos-meta-*; `Replaced` takes them from this request. Tags are the source's unless the request sends
x-cos-tagging. The ACL is "default" unless the request sets one (the reference: the copy inherits the destination
bucket's ACL unless one is given explicitly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from localcloud.cos import objects, xml
from localcloud.cos.addressing import VIRTUAL_HOST
from localcloud.cos.answers import XML
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, invalid_argument, no_such_bucket, no_such_key, no_such_upload
from localcloud.cos.multipart import MAX_PART_NUMBER
from localcloud.cos.request import Response
from localcloud.cos.storage import ObjectInfo, ObjectSettings

COPY_SOURCE = "x-cos-copy-source"
RANGE = re.compile(r"^bytes=([0-9]{1,19})-([0-9]{1,19})$", re.ASCII)


@dataclass(frozen=True)
class Source:
    bucket: str
    region: str
    key: str


def source_of(call: Call) -> Source:
    """The object x-cos-copy-source names; InvalidArgument when it names none."""
    value = call.request.headers.get(COPY_SOURCE, "").strip()
    for scheme in ("http://", "https://"):
        value = value.removeprefix(scheme)
    host, _, path = value.partition("/")
    path, _, query = path.partition("?")
    match = VIRTUAL_HOST.match(host.lower())
    try:
        key = unquote(path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        key = ""
    if match is None or not key:
        raise invalid_argument(
            f"{COPY_SOURCE} must be <bucket-appid>.cos.<region>.myqcloud.com/<url-encoded key>, got {value[:200]!r}."
        )
    if query and not query.startswith("versionId=null"):
        raise CosError(501, "NotImplemented", "localcloud does not emulate versioning: a copy source has no versions.")
    return Source(match["bucket"], match["region"], key)


def _source_object(call: Call, source: Source) -> ObjectInfo:
    bucket = call.storage.get_bucket(source.bucket)
    if bucket is None or bucket.region != source.region:
        raise no_such_bucket(source.bucket)
    info = call.storage.get_object(source.bucket, source.key)
    if info is None:
        raise no_such_key(source.key)
    return info


def _check_conditions(call: Call, info: ObjectInfo) -> None:
    """x-cos-copy-source-If-*: 412 PreconditionFailed when one does not hold (the reference gives 412 for all four)."""
    headers = call.request.headers
    etag = info.etag.strip('"')
    failed = CosError(412, "PreconditionFailed", "At least one of the preconditions you specified did not hold.")
    match = headers.get("x-cos-copy-source-if-match")
    if match is not None and match.strip().strip('"') != etag:
        raise failed
    none_match = headers.get("x-cos-copy-source-if-none-match")
    if none_match is not None and none_match.strip().strip('"') == etag:
        raise failed
    modified = _date(headers.get("x-cos-copy-source-if-modified-since"))
    if modified is not None and int(info.modified) <= modified:
        raise failed
    unmodified = _date(headers.get("x-cos-copy-source-if-unmodified-since"))
    if unmodified is not None and int(info.modified) > unmodified:
        raise failed


def _date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        raise invalid_argument(f"{value[:60]!r} is not an HTTP date.") from None


def _headers(call: Call, info: ObjectInfo) -> dict[str, str]:
    directive = call.request.headers.get("x-cos-metadata-directive", "Copy")
    if directive == "Copy":
        return dict(info.headers)
    if directive == "Replaced":
        return call.kept_headers()
    raise invalid_argument(f"x-cos-metadata-directive must be Copy or Replaced, got {directive[:40]!r}.")


def put_object_copy(call: Call) -> Response:
    call.bucket()
    info = _source_object(call, source_of(call))
    _check_conditions(call, info)
    headers = _headers(call, info)
    given = objects.settings_of(call.request.headers)
    settings = ObjectSettings(tags=given.tags if given.tags is not None else info.tags, acl=given.acl)
    try:
        copied = call.storage.copy_object(info, call.bucket_name, call.key, headers, settings)
    except FileNotFoundError:  # the source was replaced or deleted meanwhile
        raise no_such_key(info.key) from None
    root = xml.build("CopyObjectResult", ("ETag", copied.etag), ("LastModified", xml.iso_time(copied.modified)))
    return Response(200, [XML], xml.document(root))


def _copy_range(call: Call, size: int) -> tuple[int, int]:
    """(first, length) of x-cos-copy-source-range, the whole object without one."""
    value = call.request.headers.get("x-cos-copy-source-range")
    if not value:
        return 0, size
    match = RANGE.match(value.strip())
    if match is None or int(match[1]) > int(match[2]) or int(match[2]) >= size:
        raise invalid_argument(
            f"x-cos-copy-source-range must be bytes=<first>-<last> within the source's {size} bytes, got "
            f"{value[:60]!r}."
        )
    return int(match[1]), int(match[2]) - int(match[1]) + 1


def upload_part_copy(call: Call) -> Response:
    number = call.int_param("partNumber", 0, 1, MAX_PART_NUMBER)
    call.bucket()
    upload_id = call.param("uploadId") or ""
    upload = call.storage.get_upload(upload_id)
    if upload is None or upload.bucket != call.bucket_name or upload.key != call.key:
        raise no_such_upload(upload_id)
    info = _source_object(call, source_of(call))
    _check_conditions(call, info)
    first, length = _copy_range(call, info.size)
    try:
        handle = call.storage.open_object(info)
    except FileNotFoundError:
        raise no_such_key(info.key) from None
    with handle:
        handle.seek(first)
        received = call.storage.receive(handle, length, lambda n: None)
    try:
        etag = f'"{received.md5.hex()}"'
        if not call.storage.put_part(upload.upload_id, number, received, etag):
            raise no_such_upload(upload.upload_id)
    finally:
        call.storage.discard(received)
    root = xml.build("CopyPartResult", ("ETag", etag), ("LastModified", xml.iso_time(call.ctx.clock())))
    return Response(200, [XML], xml.document(root))
