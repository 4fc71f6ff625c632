"""COS XML API requests as operations, their CAM actions and resources, and the authorization decision.

    classify("PUT", "photos-1250000000", "a.jpg", {}) -> "PutObject"
    action_for("PutObject") -> "name/cos:PutObject"

Listing a bucket (GetBucket, ListMultipartUploads) is allowed when the policy allows the bucket resource
`<bucket>/` or the resource `<bucket>/<prefix>`: an upload-only policy on `photos-1250000000/users/alice/*` may list
the prefix `users/alice/`, but not `users/` or `users/bob/`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qcloud.policy import Decision, Policy, RequestContext, evaluate_all, resource_name

OPERATIONS: dict[str, str] = {
    "GetService": "service",
    "PutBucket": "bucket",
    "HeadBucket": "bucket",
    "GetBucket": "bucket",
    "ListMultipartUploads": "bucket",
    "DeleteBucket": "bucket",
    "PutBucketCORS": "bucket",
    "GetBucketCORS": "bucket",
    "DeleteBucketCORS": "bucket",
    "PutObject": "object",
    "GetObject": "object",
    "HeadObject": "object",
    "DeleteObject": "object",
    "InitiateMultipartUpload": "object",
    "UploadPart": "object",
    "ListParts": "object",
    "CompleteMultipartUpload": "object",
    "AbortMultipartUpload": "object",
}
LISTING_OPERATIONS = frozenset({"GetBucket", "ListMultipartUploads"})

# COS sub-resources this emulator does not implement. A request naming one must not be mistaken for the plain
# operation on the same path (GET /?acl is not GetBucket), so it is refused instead.
UNSUPPORTED_SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "append",
        "delete",
        "domain",
        "encryption",
        "intelligenttiering",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "object-lock",
        "origin",
        "policy",
        "referer",
        "replication",
        "restore",
        "select",
        "tagging",
        "versioning",
        "versions",
        "website",
    }
)


class UnsupportedOperation(ValueError):
    """The request is not one of the operations in OPERATIONS (or names an unknown operation)."""


def classify(method: str, bucket: str | None, key: str, params: Mapping[str, str]) -> str:
    """The operation of a COS request. `params` are the query parameters (names compared case-insensitively)."""
    method = method.upper()
    names = {name.lower() for name in params}
    if method == "OPTIONS":
        raise UnsupportedOperation("OPTIONS is a CORS preflight, not an operation")
    if not bucket:
        if method == "GET" and not key:
            return "GetService"
        raise UnsupportedOperation(f"{method} /{key} without a bucket is not an operation")
    unsupported = sorted(names & UNSUPPORTED_SUBRESOURCES)
    if unsupported:
        raise UnsupportedOperation(f"sub-resource ?{unsupported[0]} is not supported")
    operation = _object_operation(method, names) if key else _bucket_operation(method, names)
    if operation is None:
        target = f"/{key}" if key else "/"
        query = "&".join(sorted(names & {"cors", "uploads", "uploadid", "partnumber"}))
        raise UnsupportedOperation(f"{method} {target}{'?' + query if query else ''} is not a supported operation")
    return operation


def _bucket_operation(method: str, names: set[str]) -> str | None:
    if "cors" in names:
        return {"PUT": "PutBucketCORS", "GET": "GetBucketCORS", "DELETE": "DeleteBucketCORS"}.get(method)
    if "uploads" in names:
        return "ListMultipartUploads" if method == "GET" else None
    if "uploadid" in names or "partnumber" in names:
        return None
    return {"PUT": "PutBucket", "HEAD": "HeadBucket", "GET": "GetBucket", "DELETE": "DeleteBucket"}.get(method)


def _object_operation(method: str, names: set[str]) -> str | None:
    if "cors" in names:
        return None
    uploads, upload_id, part_number = "uploads" in names, "uploadid" in names, "partnumber" in names
    if uploads:
        return "InitiateMultipartUpload" if method == "POST" and not upload_id and not part_number else None
    if part_number:
        return "UploadPart" if method == "PUT" and upload_id else None
    if upload_id:
        return {"GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(method)
    return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method)


def _level(operation: str) -> str:
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise UnsupportedOperation(f"unknown operation {operation!r}") from None


def action_for(operation: str) -> str:
    """ "PutObject" -> "name/cos:PutObject"."""
    _level(operation)
    return f"name/cos:{operation}"


def resources_for(
    operation: str, *, region: str, appid: str, bucket: str | None, key: str = "", prefix: str = ""
) -> list[str]:
    """The CAM resources a request touches; allowing any one of them is enough (the listing rule).

    GetService: ["*"]. Bucket operations: the bucket resource "<bucket>/". Listing operations: the bucket resource
    and "<bucket>/<prefix>" (one entry when the prefix is empty). Object operations: "<bucket>/<key>".
    `bucket` is the full name, "<name>-<appid>".
    """
    level = _level(operation)
    if level == "service":
        return ["*"]
    if not bucket:
        raise ValueError(f"{operation} needs a bucket")
    bucket_resource = resource_name(region, appid, bucket, "")
    if level == "bucket":
        if operation in LISTING_OPERATIONS and prefix:
            return [bucket_resource, resource_name(region, appid, bucket, prefix)]
        return [bucket_resource]
    if not key:
        raise ValueError(f"{operation} needs an object key")
    return [resource_name(region, appid, bucket, key)]


def authorize(
    policies: Sequence[Policy],
    operation: str,
    *,
    region: str,
    appid: str,
    bucket: str | None,
    key: str = "",
    prefix: str = "",
    context: RequestContext | None = None,
) -> Decision:
    """Whether every one of `policies` allows the operation (see qcloud.policy.evaluate_all)."""
    resources = resources_for(operation, region=region, appid=appid, bucket=bucket, key=key, prefix=prefix)
    return evaluate_all(policies, action_for(operation), resources, context)
