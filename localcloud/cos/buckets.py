"""Service and bucket operations: GetService, Put/Head/Get/DeleteBucket, Put/Get/DeleteBucketCORS.

Each runs after the dispatcher (service.py) has authorised it; see routes.py for which request is which.
"""

from __future__ import annotations

import time

from localcloud.cos import acl, xml
from localcloud.cos.answers import XML, encoder, owner
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError
from localcloud.cos.request import Response
from localcloud.cos.storage import ListEntry
from qcloud.buckets import BucketNameError, split_bucket
from qcloud.regions import is_region

MAX_KEYS = 1000
MAX_BUCKETS_LISTED = 2000  # cos-python-sdk-v5 list_buckets asks for max-keys=2000 by default


def get_service(call: Call) -> Response:
    """Buckets in name order after `marker`, `max-keys` at a time (the GET Service reference: Marker, MaxKeys,
    IsTruncated, NextMarker; CreationDate to the second, "2019-05-24T11:20:10Z")."""
    region = call.param("region")
    marker = call.param("marker") or ""
    max_keys = call.int_param("max-keys", MAX_BUCKETS_LISTED, 1, MAX_BUCKETS_LISTED)
    buckets = [b for b in call.storage.list_buckets() if (not region or b.region == region) and b.name > marker]
    truncated = len(buckets) > max_keys
    buckets = buckets[:max_keys]
    root = xml.build(
        "ListAllMyBucketsResult",
        owner(call),
        xml.build(
            "Buckets",
            *(
                xml.build(
                    "Bucket",
                    ("Name", b.name),
                    ("Location", b.region),
                    ("CreationDate", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b.created))),
                    ("BucketType", "cos"),
                )
                for b in buckets
            ),
        ),
        ("Marker", marker),
        ("MaxKeys", max_keys),
        ("IsTruncated", "true" if truncated else "false"),
        ("NextMarker", buckets[-1].name) if truncated and buckets else None,
    )
    return Response(200, [XML], xml.document(root))


def get_bucket_location(call: Call) -> Response:
    bucket = call.bucket()
    return Response(200, [XML], _location(bucket.region))


def _location(region: str) -> bytes:
    root = xml.build("LocationConstraint")
    root.text = region
    return xml.document(root)


def put_bucket(call: Call) -> Response:
    try:
        _, appid = split_bucket(call.bucket_name)
    except BucketNameError as exc:
        raise CosError(400, "InvalidBucketName", f"The specified bucket name is not valid: {exc}.") from exc
    if appid != call.ctx.config.appid:
        raise CosError(
            400,
            "InvalidBucketName",
            f"The specified bucket name is not valid: it must end with this account's appid, -{call.ctx.config.appid}.",
        )
    if not is_region(call.region):
        raise CosError(400, "InvalidLocationConstraint", f"The specified region {call.region!r} is not valid.")
    initial = acl.from_headers(call.request.headers, for_object=False)
    if not call.storage.create_bucket(call.bucket_name, call.region):
        # The name carries this account's appid (checked above), so an existing bucket of that name is the caller's
        # own account's: COS answers BucketAlreadyOwnedByYou for it, BucketAlreadyExists only for another account's.
        raise CosError(
            409,
            "BucketAlreadyOwnedByYou",
            f"The bucket {call.bucket_name} you tried to create already exists, and your account owns it.",
        )
    if initial is not None:
        call.storage.set_bucket_acl(call.bucket_name, initial)
    return Response(200)


def head_bucket(call: Call) -> Response:
    bucket = call.bucket()
    return Response(200, [("x-cos-bucket-region", bucket.region)])


def delete_bucket(call: Call) -> Response:
    call.bucket()
    outcome = call.storage.delete_bucket(call.bucket_name)
    if outcome == "not-empty":
        raise CosError(
            409, "BucketNotEmpty", "The bucket you tried to delete is not empty (objects or unfinished uploads)."
        )
    return Response(204)


def get_bucket(call: Call) -> Response:
    prefix = call.param("prefix") or ""
    call.bucket()
    delimiter = call.param("delimiter") or ""
    marker = call.param("marker") or ""
    max_keys = call.int_param("max-keys", MAX_KEYS, 0, MAX_KEYS)
    enc = encoder(call)

    entries: list[ListEntry] = []
    truncated = False
    for entry in call.storage.iter_listing(call.bucket_name, prefix, delimiter, marker):
        if len(entries) == max_keys:  # one more than fits: the page is truncated
            truncated = True
            break
        entries.append(entry)
    contents = [
        xml.build(
            "Contents",
            ("Key", enc(e.key)),
            ("LastModified", xml.iso_time(e.obj.modified)),
            ("ETag", e.obj.etag),
            ("Size", e.obj.size),
            owner(call),
            ("StorageClass", "STANDARD"),
        )
        for e in entries
        if e.obj is not None
    ]
    prefixes = [xml.build("CommonPrefixes", ("Prefix", enc(e.key))) for e in entries if e.obj is None]
    root = xml.build(
        "ListBucketResult",
        ("Name", call.bucket_name),
        ("EncodingType", "url") if call.param("encoding-type") else None,
        ("Prefix", enc(prefix)),
        ("Marker", enc(marker)),
        ("MaxKeys", max_keys),
        ("Delimiter", enc(delimiter)) if delimiter else None,
        ("IsTruncated", "true" if truncated else "false"),
        ("NextMarker", enc(entries[-1].key)) if truncated and entries else None,
        *prefixes,
        *contents,
    )
    return Response(200, [XML], xml.document(root))


def put_bucket_cors(call: Call) -> Response:
    call.bucket()
    rules = xml.parse_cors(call.read_xml_body())
    call.storage.set_cors(call.bucket_name, rules)
    return Response(200)


def get_bucket_cors(call: Call) -> Response:
    bucket = call.bucket()
    if not bucket.cors:
        raise CosError(404, "NoSuchCORSConfiguration", "The CORS configuration does not exist.")
    return Response(200, [XML], xml.cors_document(bucket.cors))


def delete_bucket_cors(call: Call) -> Response:
    call.bucket()
    call.storage.set_cors(call.bucket_name, None)
    return Response(204)
