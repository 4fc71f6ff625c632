"""Which COS request is which operation: one table, from the request's shape to its CAM action and handler.

A route is matched on the method, the scope (service: no bucket; bucket: no key; object: a key), the sub-resources
named in the query (parameter names that select an operation, such as ?cors or ?uploadId, compared case-insensitively)
and the headers that select one (x-cos-copy-source turns a PUT into a copy). All four must be equal: a request
naming a sub-resource or header that no route claims matches nothing, never "the closest" route. So GET /?acl is
not GetBucket, and PUT /key?tagging does not overwrite the object.

The dispatcher (service.py) refuses a request that matches nothing, and runs a matched route in order: the key check
(object routes), the route's `check` (authorisation; every route has one), its `prepare` when it has one (lookups
whose results the policy's conditions need, then authorisation again with them), and the handler.

To add an operation: write its handler, add a Route here (and, for a new sub-resource, nothing else: the name comes
from the route), add it to qcloud.operations.OPERATIONS for its resource level (and to ACTION_OF when CAM
authorises it under another operation's action, as a copy is PutObject), drop it from
NOT_IMPLEMENTED, and regenerate COVERAGE.md (`python -m localcloud.coverage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from localcloud.cos import access, buckets, copies, deletes, multipart, objects, tagging
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError
from localcloud.cos.request import Response
from qcloud.operations import OPERATIONS, UnsupportedOperation, action_for
from qcloud.policy import RequestContext

Scope = Literal["service", "bucket", "object"]
Handler = Callable[[Call], Response]
Check = Callable[[Call], None]
Prepare = Callable[[Call], RequestContext]


def resource_check(call: Call) -> None:
    """The operation on the addressed resource, judged with this request's own context."""
    call.authorize()


def listing_check(call: Call) -> None:
    """The bucket resource, or `<bucket>/<prefix>` for the prefix asked (the listing rule of qcloud.operations)."""
    call.authorize(prefix=call.param("prefix") or "")


def copy_check(call: Call) -> None:
    """name/cos:PutObject on the destination and name/cos:GetObject on the source (x-cos-copy-source), or a source
    whose ACL lets everyone read it. As the PUT Object - Copy and Upload Part - Copy references say, and as
    cos-js-sdk-v5 scopes a copy's temporary keys."""
    call.authorize()
    source = copies.source_of(call)
    try:
        call.authorize_other("GetObject", bucket=source.bucket, key=source.key, region=source.region)
    except CosError:
        if call.caller.anonymous or not call.public_object(source.bucket, source.key):
            raise


def each_key_check(call: Call) -> None:
    """name/cos:DeleteObject on each key listed, one by one: a key refused is answered with its own AccessDenied
    <Error>, the others are deleted (an anonymous request is refused whole)."""
    if call.caller.anonymous:
        call.authorize()
    batch = deletes.parse(call)
    for key in batch.keys:
        try:
            call.authorize_other("DeleteObject", bucket=call.bucket_name, key=key, region=call.region)
        except CosError as exc:
            batch.refused[key] = exc
    call.prepared = batch


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    scope: Scope
    handler: Handler
    subresources: frozenset[str] = frozenset()  # lower case
    headers: frozenset[str] = frozenset()  # lower case
    check: Check = resource_check
    # Looks up what the policy's conditions need and returns the full RequestContext, which is then authorised.
    prepare: Prepare | None = None
    # How COS's documentation writes the request, for COVERAGE.md.
    request: str = ""

    @property
    def action(self) -> str:
        return action_for(self.operation)


def _route(
    operation: str,
    request: str,
    handler: Handler,
    *,
    check: Check = resource_check,
    prepare: Prepare | None = None,
    headers: Iterable[str] = (),
    scope: Scope | None = None,
) -> Route:
    """A Route from COS's own notation: "PUT /<key>?partNumber&uploadId" -> method, scope and sub-resources."""
    method, _, target = request.partition(" ")
    path, _, query = target.split(" with ", 1)[0].partition("?")
    names = frozenset(name.lower() for name in query.split("&") if name)
    where: Scope = scope or ("object" if "<key>" in path else "bucket")
    return Route(operation, method, where, handler, names, frozenset(headers), check, prepare, request)


ROUTES: tuple[Route, ...] = (
    _route("GetService", "GET / (no bucket)", buckets.get_service, scope="service"),
    _route("PutBucket", "PUT /", buckets.put_bucket),
    _route("HeadBucket", "HEAD /", buckets.head_bucket),
    _route("GetBucket", "GET /", buckets.get_bucket, check=listing_check),
    _route("DeleteBucket", "DELETE /", buckets.delete_bucket),
    _route("PutBucketCORS", "PUT /?cors", buckets.put_bucket_cors),
    _route("GetBucketCORS", "GET /?cors", buckets.get_bucket_cors),
    _route("DeleteBucketCORS", "DELETE /?cors", buckets.delete_bucket_cors),
    _route("ListMultipartUploads", "GET /?uploads", multipart.list_uploads, check=listing_check),
    _route("PutObject", "PUT /<key>", objects.put_object),
    _route("GetObject", "GET /<key>", objects.get_object),
    _route("HeadObject", "HEAD /<key>", objects.head_object),
    _route("DeleteObject", "DELETE /<key>", objects.delete_object),
    _route("InitiateMultipartUpload", "POST /<key>?uploads", multipart.initiate),
    # Judged by the part's own Content-Length and Content-Type, as COS does (multipart.py).
    _route("UploadPart", "PUT /<key>?partNumber&uploadId", multipart.upload_part),
    _route("ListParts", "GET /<key>?uploadId", multipart.list_parts),
    # Judged by its own request (the XML part list), never by the total of the parts (multipart.py).
    _route("CompleteMultipartUpload", "POST /<key>?uploadId", multipart.complete),
    _route("AbortMultipartUpload", "DELETE /<key>?uploadId", multipart.abort),
    _route(
        "PutObjectCopy",
        "PUT /<key> with x-cos-copy-source",
        copies.put_object_copy,
        check=copy_check,
        headers=["x-cos-copy-source"],
    ),
    _route(
        "UploadPartCopy",
        "PUT /<key>?partNumber&uploadId with x-cos-copy-source",
        copies.upload_part_copy,
        check=copy_check,
        headers=["x-cos-copy-source"],
    ),
    _route("DeleteMultipleObjects", "POST /?delete", deletes.delete_multiple, check=each_key_check),
    _route("PutObjectACL", "PUT /<key>?acl", access.put_object_acl),
    _route("GetObjectACL", "GET /<key>?acl", access.get_object_acl),
    _route("PutBucketACL", "PUT /?acl", access.put_bucket_acl),
    _route("GetBucketACL", "GET /?acl", access.get_bucket_acl),
    _route("PutObjectTagging", "PUT /<key>?tagging", tagging.put_object_tagging),
    _route("GetObjectTagging", "GET /<key>?tagging", tagging.get_object_tagging),
    _route("DeleteObjectTagging", "DELETE /<key>?tagging", tagging.delete_object_tagging),
    _route("PutBucketTagging", "PUT /?tagging", tagging.put_bucket_tagging),
    _route("GetBucketTagging", "GET /?tagging", tagging.get_bucket_tagging),
    _route("DeleteBucketTagging", "DELETE /?tagging", tagging.delete_bucket_tagging),
    _route("GetBucketLocation", "GET /?location", buckets.get_bucket_location),
)


@dataclass(frozen=True)
class Missing:
    """A well-known COS operation localcloud does not implement: refused with 501 NotImplemented, changing nothing."""

    operation: str
    request: str
    action: str  # its CAM action, from Tencent's documentation


# CAM action names as Tencent's own temporary-key sample lists them (cos-js-sdk-v5 server/sts.php, and the COS API
# reference for each operation); copying checks GetObject on the source as well.
NOT_IMPLEMENTED: tuple[Missing, ...] = (
    Missing("POST Object (form upload)", "POST /", "name/cos:PostObject"),
    Missing("APPEND Object", "POST /<key>?append&position", "name/cos:AppendObject"),
    Missing("POST Object restore", "POST /<key>?restore", "name/cos:PostObjectRestore"),
    Missing("PUT Bucket versioning", "PUT /?versioning", "name/cos:PutBucketVersioning"),
    Missing("GET Bucket versioning", "GET /?versioning", "name/cos:GetBucketVersioning"),
    Missing("GET Bucket Object versions", "GET /?versions", "name/cos:GetBucketObjectVersions"),
    Missing("PUT Bucket policy", "PUT /?policy", "name/cos:PutBucketPolicy"),
    Missing("GET Bucket policy", "GET /?policy", "name/cos:GetBucketPolicy"),
    Missing("DELETE Bucket policy", "DELETE /?policy", "name/cos:DeleteBucketPolicy"),
    Missing("PUT Bucket lifecycle", "PUT /?lifecycle", "name/cos:PutBucketLifecycle"),
    Missing("GET Bucket lifecycle", "GET /?lifecycle", "name/cos:GetBucketLifecycle"),
    Missing("DELETE Bucket lifecycle", "DELETE /?lifecycle", "name/cos:DeleteBucketLifecycle"),
    Missing("PUT Bucket replication", "PUT /?replication", "name/cos:PutBucketReplication"),
    Missing("GET Bucket replication", "GET /?replication", "name/cos:GetBucketReplication"),
    Missing("DELETE Bucket replication", "DELETE /?replication", "name/cos:DeleteBucketReplication"),
    Missing("PUT Bucket website", "PUT /?website", "name/cos:PutBucketWebsite"),
    Missing("GET Bucket website", "GET /?website", "name/cos:GetBucketWebsite"),
    Missing("DELETE Bucket website", "DELETE /?website", "name/cos:DeleteBucketWebsite"),
    Missing("PUT Bucket referer", "PUT /?referer", "name/cos:PutBucketReferer"),
    Missing("GET Bucket referer", "GET /?referer", "name/cos:GetBucketReferer"),
    Missing("PUT Bucket logging", "PUT /?logging", "name/cos:PutBucketLogging"),
    Missing("GET Bucket logging", "GET /?logging", "name/cos:GetBucketLogging"),
    Missing("PUT Bucket origin", "PUT /?origin", "name/cos:PutBucketOrigin"),
    Missing("GET Bucket origin", "GET /?origin", "name/cos:GetBucketOrigin"),
    Missing("DELETE Bucket origin", "DELETE /?origin", "name/cos:DeleteBucketOrigin"),
    Missing("PUT Bucket encryption", "PUT /?encryption", "name/cos:PutBucketEncryption"),
    Missing("GET Bucket encryption", "GET /?encryption", "name/cos:GetBucketEncryption"),
    Missing("DELETE Bucket encryption", "DELETE /?encryption", "name/cos:DeleteBucketEncryption"),
)

# Further COS sub-resources (bucket features without an entry above) that select operations of their own: naming
# one never falls back to a route without it either.
OTHER_SUBRESOURCES = frozenset(
    {"accelerate", "domain", "intelligenttiering", "inventory", "notification", "object-lock", "select", "versionid"}
)
# Versioning does not fit localcloud's storage (one body per key): these are refused with a message that says so.
VERSIONING = frozenset({"versioning", "versions", "versionid"})
# Request headers that select an operation of their own.
SELECTING_HEADERS = frozenset({"x-cos-copy-source"})


def _names_in(request: str) -> set[str]:
    query = request.split(" with ", 1)[0].partition("?")[2]
    return {name.lower() for name in query.split("&") if name}


SUBRESOURCES: frozenset[str] = frozenset(
    {name for route in ROUTES for name in route.subresources}
    | {name for missing in NOT_IMPLEMENTED for name in _names_in(missing.request)}
    | OTHER_SUBRESOURCES
)
_IMPLEMENTED_NAMES = frozenset(name for route in ROUTES for name in route.subresources)
Key = tuple[str, Scope, frozenset[str], frozenset[str]]


def _index(routes: tuple[Route, ...]) -> dict[Key, Route]:
    index = {(route.method, route.scope, route.subresources, route.headers): route for route in routes}
    if len(index) != len(routes):
        raise ValueError("two routes match the same requests")
    if {route.operation for route in routes} != set(OPERATIONS):
        raise ValueError("every COS operation of qcloud.operations needs exactly one route")
    if any(OPERATIONS[route.operation] != route.scope for route in routes):
        raise ValueError("a route's scope must be its operation's resource level in qcloud.operations")
    return index


_INDEX = _index(ROUTES)


def match(method: str, bucket: str | None, key: str, params: Mapping[str, str], headers: Iterable[str] = ()) -> Route:
    """The route of a COS request (query parameter and header names compared case-insensitively)."""
    method = method.upper()
    if method == "OPTIONS":
        raise UnsupportedOperation("OPTIONS is a CORS preflight, not an operation")
    scope: Scope = "object" if key else "bucket"
    if not bucket:
        if method != "GET" or key:
            raise UnsupportedOperation(f"{method} /{key} without a bucket is not an operation")
        scope = "service"
    names = frozenset(name.lower() for name in params) & SUBRESOURCES
    selecting = frozenset(name.lower() for name in headers) & SELECTING_HEADERS
    route = _INDEX.get((method, scope, names, selecting))
    if route is not None:
        return route
    if selecting:
        raise UnsupportedOperation(f"copying objects ({', '.join(sorted(selecting))}) is not supported")
    unsupported = sorted(names - _IMPLEMENTED_NAMES)
    if VERSIONING & set(unsupported):
        raise UnsupportedOperation(
            "versioning is not emulated: a localcloud bucket keeps one version of each object, so ?versioning, "
            "?versions and versionId are refused"
        )
    if unsupported:
        raise UnsupportedOperation(f"sub-resource ?{unsupported[0]} is not supported")
    target = f"/{key}" if key else "/"
    query = "&".join(sorted(names))
    raise UnsupportedOperation(f"{method} {target}{'?' + query if query else ''} is not a supported operation")


def classify(method: str, bucket: str | None, key: str, params: Mapping[str, str], headers: Iterable[str] = ()) -> str:
    """The operation of a COS request: "PUT", "photos-1250000000", "a.jpg", {} -> "PutObject"."""
    return match(method, bucket, key, params, headers).operation
