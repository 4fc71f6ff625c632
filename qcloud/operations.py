"""COS operations, their CAM actions and resources, and the authorization decision.

    action_for("PutObject") -> "name/cos:PutObject"

Which request is which operation is localcloud's business (localcloud/cos/routes.py), the only code that routes
COS requests.

Listing a bucket (GetBucket, ListMultipartUploads) is allowed when the policy allows the bucket resource
`<bucket>/` or the resource `<bucket>/<prefix>`: an upload-only policy on `photos-1250000000/users/alice/*` may list
the prefix `users/alice/`, but not `users/` or `users/bob/`.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    "PutObjectCopy": "object",
    "UploadPartCopy": "object",
    "DeleteMultipleObjects": "bucket",
    "PutObjectACL": "object",
    "GetObjectACL": "object",
    "PutObjectTagging": "object",
    "GetObjectTagging": "object",
    "DeleteObjectTagging": "object",
    "PutBucketACL": "bucket",
    "GetBucketACL": "bucket",
    "PutBucketTagging": "bucket",
    "GetBucketTagging": "bucket",
    "DeleteBucketTagging": "bucket",
    "GetBucketLocation": "bucket",
}
# Operations CAM authorises under another operation's action. cos-js-sdk-v5 scopes its temporary keys this way
# (src/base.js: putObjectCopy and uploadPartCopy ask for name/cos:PutObject on the destination and
# name/cos:GetObject on the source; deleteMultipleObject asks for name/cos:DeleteObject on every key), and
# Tencent's "DELETE Multiple Objects" reference says a signed request is checked for cos:DeleteObject key by key, and
# its "Upload Part - Copy" reference asks for GetObject on the source and PutObject on the destination. (The Chinese
# "PUT Object - Copy" page now names cos:PutObjectCopy for the destination; the SDK's scope, which COS must accept,
# uses PutObject, so that is what is checked here.)
ACTION_OF: dict[str, str] = {
    "PutObjectCopy": "PutObject",
    "UploadPartCopy": "PutObject",
    "DeleteMultipleObjects": "DeleteObject",
}
LISTING_OPERATIONS = frozenset({"GetBucket", "ListMultipartUploads"})


class UnsupportedOperation(ValueError):
    """An operation that is not one of OPERATIONS (localcloud also raises it for a request that matches none)."""


def _level(operation: str) -> str:
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise UnsupportedOperation(f"unknown operation {operation!r}") from None


def action_for(operation: str) -> str:
    """ "PutObject" -> "name/cos:PutObject"; "PutObjectCopy" -> "name/cos:PutObject" (see ACTION_OF)."""
    _level(operation)
    return f"name/cos:{ACTION_OF.get(operation, operation)}"


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
