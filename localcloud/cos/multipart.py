"""Multipart uploads, as cos-js-sdk-v5 drives them: ListMultipartUploads -> Initiate -> parallel UploadPart -> Complete.

Policy conditions are judged as COS judges them, on each request by itself (the dispatcher authorises before any
handler runs): `cos:content-length` is the Content-Length of that request (a part for UploadPart, the small XML part
list for CompleteMultipartUpload) and `cos:content-type` its Content-Type. COS has no condition on the total size of a
multipart upload, nor on the type an upload was initiated with when a part arrives, so neither does localcloud: a
limit on the whole object is the credential issuer's job (the portal hands out no multipart actions under a size or
type limit).

`x-cos-forbid-overwrite: true` on Initiate and on Complete refuses, at that request, a key that already names an
object (409 FileAlreadyExists; buckets here are never versioned).
"""

from __future__ import annotations

import hashlib
import itertools

from localcloud.cos import objects, xml
from localcloud.cos.answers import XML, encoder, initiator, owner
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, no_such_upload
from localcloud.cos.request import Response
from localcloud.cos.storage import Part, Upload

MIN_PART_SIZE = 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_PARTS_LISTED = 1000
MAX_UPLOADS_LISTED = 1000


def _upload(call: Call) -> Upload:
    upload_id = call.param("uploadId") or ""
    upload = call.storage.get_upload(upload_id)
    if upload is None or upload.bucket != call.bucket_name or upload.key != call.key:
        raise no_such_upload(upload_id)
    return upload


def initiate(call: Call) -> Response:
    call.bucket()
    objects.refuse_overwrite(call)
    objects.settings_of(call.request.headers)  # refused now if invalid, applied at Complete
    kept = call.kept_headers()
    kept.update({name: call.request.headers[name] for name in objects.SETTING_HEADERS if name in call.request.headers})
    upload = call.storage.create_upload(call.bucket_name, call.key, kept)
    root = xml.build(
        "InitiateMultipartUploadResult", ("Bucket", call.bucket_name), ("Key", call.key), ("UploadId", upload.upload_id)
    )
    return Response(200, [XML], xml.document(root))


def upload_part(call: Call) -> Response:
    number = call.int_param("partNumber", 0, 1, MAX_PART_NUMBER)
    call.bucket()
    upload = _upload(call)
    expected_md5 = call.content_md5()
    received = call.storage.receive(
        call.request.body, call.request.content_length, lambda n: call.ctx.stats.add("cos:bytes_in", n)
    )
    try:
        if expected_md5 is not None and expected_md5 != received.md5:
            raise CosError(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
        etag = f'"{received.md5.hex()}"'
        if not call.storage.put_part(upload.upload_id, number, received, etag):
            raise no_such_upload(upload.upload_id)
    finally:
        call.storage.discard(received)
    return Response(200, [("ETag", etag)])


def list_parts(call: Call) -> Response:
    call.bucket()
    upload = _upload(call)
    marker = call.int_param("part-number-marker", 0, 0, MAX_PART_NUMBER)
    max_parts = call.int_param("max-parts", MAX_PARTS_LISTED, 0, MAX_PARTS_LISTED)
    parts = call.storage.list_parts(upload.upload_id, after=marker, limit=max_parts + 1)
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    enc = encoder(call)
    root = xml.build(
        "ListPartsResult",
        ("Bucket", call.bucket_name),
        ("EncodingType", "url") if call.param("encoding-type") else None,
        ("Key", enc(call.key)),
        ("UploadId", upload.upload_id),
        initiator(call),
        owner(call),
        ("StorageClass", "STANDARD"),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", parts[-1].number if parts else marker),
        ("MaxParts", max_parts),
        ("IsTruncated", "true" if truncated else "false"),
        *(
            xml.build(
                "Part",
                ("PartNumber", p.number),
                ("LastModified", xml.iso_time(p.modified)),
                ("ETag", p.etag),
                ("Size", p.size),
            )
            for p in parts
        ),
    )
    return Response(200, [XML], xml.document(root))


def _chosen_parts(call: Call, upload: Upload) -> list[Part]:
    """The parts the request's part list names, in its order; InvalidPartOrder, InvalidPart, EntityTooSmall."""
    wanted = xml.parse_complete(call.read_xml_body())
    numbers = [number for number, _ in wanted]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise CosError(400, "InvalidPartOrder", "The list of parts was not in ascending order by part number.")
    stored = {part.number: part for part in call.storage.list_parts(upload.upload_id)}
    chosen: list[Part] = []
    for position, (number, etag) in enumerate(wanted):
        part = stored.get(number)
        if part is None or part.etag.strip('"') != etag.lower():
            raise CosError(
                400,
                "InvalidPart",
                f"One or more of the specified parts could not be found or the ETag did not match: part {number}.",
            )
        if position < len(wanted) - 1 and part.size < MIN_PART_SIZE:
            raise CosError(
                400,
                "EntityTooSmall",
                f"Your proposed upload is smaller than the minimum allowed size: part {number} has {part.size} bytes, "
                f"every part but the last needs at least {MIN_PART_SIZE}.",
            )
        chosen.append(part)
    return chosen


def complete(call: Call) -> Response:
    call.bucket()
    upload = _upload(call)
    chosen = _chosen_parts(call, upload)
    objects.refuse_overwrite(call)
    digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in chosen))  # noqa: S324 - COS's ETag
    etag = f'"{digest.hexdigest()}-{len(chosen)}"'
    headers = {name: value for name, value in upload.headers.items() if name not in objects.SETTING_HEADERS}
    settings = objects.settings_of(upload.headers)
    if call.storage.complete_upload(upload, chosen, etag, headers, settings) is None:
        raise no_such_upload(upload.upload_id)
    host = f"{call.bucket_name}.cos.{call.region}.myqcloud.com"
    root = xml.build(
        "CompleteMultipartUploadResult",
        ("Location", f"{host}/{call.key}"),
        ("Bucket", call.bucket_name),
        ("Key", call.key),
        ("ETag", etag),
    )
    return Response(200, [XML], xml.document(root))


def abort(call: Call) -> Response:
    call.bucket()
    upload = _upload(call)
    if not call.storage.abort_upload(upload.upload_id):
        raise no_such_upload(upload.upload_id)
    return Response(204)


def list_uploads(call: Call) -> Response:
    prefix = call.param("prefix") or ""
    call.bucket()
    delimiter = call.param("delimiter") or ""
    key_marker = call.param("key-marker") or ""
    id_marker = call.param("upload-id-marker") or ""
    max_uploads = call.int_param("max-uploads", MAX_UPLOADS_LISTED, 1, MAX_UPLOADS_LISTED)
    enc = encoder(call)

    entries: list[Upload | str] = []
    truncated = False
    for upload in call.storage.list_uploads(call.bucket_name, prefix):
        if key_marker and (
            upload.key < key_marker or (upload.key == key_marker and (not id_marker or upload.upload_id <= id_marker))
        ):
            continue
        rest = upload.key[len(prefix) :]
        entry: Upload | str = upload
        if delimiter and delimiter in rest:
            entry = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            if entry in entries or (key_marker and key_marker.startswith(entry)):
                continue
        if len(entries) == max_uploads:
            truncated = True
            break
        entries.append(entry)
    last = entries[-1] if entries else None
    next_key = last.key if isinstance(last, Upload) else (last or "")
    next_id = last.upload_id if isinstance(last, Upload) else ""
    root = xml.build(
        "ListMultipartUploadsResult",
        ("Bucket", call.bucket_name),
        ("EncodingType", "url") if call.param("encoding-type") else None,
        ("KeyMarker", enc(key_marker)),
        ("UploadIdMarker", id_marker),
        ("NextKeyMarker", enc(next_key)) if truncated else None,
        ("NextUploadIdMarker", next_id) if truncated else None,
        ("MaxUploads", max_uploads),
        ("IsTruncated", "true" if truncated else "false"),
        ("Prefix", enc(prefix)),
        ("Delimiter", enc(delimiter)) if delimiter else None,
        *(
            xml.build(
                "Upload",
                ("Key", enc(e.key)),
                ("UploadId", e.upload_id),
                ("StorageClass", "STANDARD"),
                initiator(call),
                owner(call),
                ("Initiated", xml.iso_time(e.initiated)),
            )
            for e in entries
            if isinstance(e, Upload)
        ),
        *(xml.build("CommonPrefixes", ("Prefix", enc(e))) for e in entries if isinstance(e, str)),
    )
    return Response(200, [XML], xml.document(root))
