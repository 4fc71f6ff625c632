"""localcloud's routing table: which COS request is which operation, and what it refuses."""

from __future__ import annotations

import inspect

import pytest

from localcloud.cos import access, buckets, copies, deletes, multipart, objects, tagging
from localcloud.cos.routes import NOT_IMPLEMENTED, ROUTES, SUBRESOURCES, classify
from qcloud.operations import ACTION_OF, OPERATIONS, UnsupportedOperation, action_for

BUCKET = "photos-1250000000"
VERSIONING_REFUSED = (
    "versioning is not emulated: a localcloud bucket keeps one version of each object, so ?versioning, ?versions "
    "and versionId are refused"
)


@pytest.mark.parametrize(
    ("method", "bucket", "key", "params", "operation"),
    [
        ("GET", None, "", {}, "GetService"),
        ("PUT", BUCKET, "", {}, "PutBucket"),
        ("HEAD", BUCKET, "", {}, "HeadBucket"),
        ("GET", BUCKET, "", {}, "GetBucket"),
        ("GET", BUCKET, "", {"prefix": "users/alice/", "delimiter": "/", "encoding-type": "url"}, "GetBucket"),
        ("GET", BUCKET, "", {"uploads": ""}, "ListMultipartUploads"),
        ("GET", BUCKET, "", {"uploads": "", "prefix": "a.bin"}, "ListMultipartUploads"),
        ("DELETE", BUCKET, "", {}, "DeleteBucket"),
        ("PUT", BUCKET, "", {"cors": ""}, "PutBucketCORS"),
        ("GET", BUCKET, "", {"cors": ""}, "GetBucketCORS"),
        ("DELETE", BUCKET, "", {"cors": ""}, "DeleteBucketCORS"),
        ("PUT", BUCKET, "a.jpg", {}, "PutObject"),
        ("GET", BUCKET, "a.jpg", {}, "GetObject"),
        ("GET", BUCKET, "a.jpg", {"response-content-type": "text/plain", "q-sign-algorithm": "sha1"}, "GetObject"),
        ("HEAD", BUCKET, "a.jpg", {}, "HeadObject"),
        ("DELETE", BUCKET, "a.jpg", {}, "DeleteObject"),
        ("POST", BUCKET, "a.bin", {"uploads": ""}, "InitiateMultipartUpload"),
        ("PUT", BUCKET, "a.bin", {"partNumber": "1", "uploadId": "u1"}, "UploadPart"),
        ("GET", BUCKET, "a.bin", {"uploadId": "u1"}, "ListParts"),
        ("POST", BUCKET, "a.bin", {"uploadId": "u1"}, "CompleteMultipartUpload"),
        ("DELETE", BUCKET, "a.bin", {"uploadId": "u1"}, "AbortMultipartUpload"),
        ("put", BUCKET, "a.bin", {"partnumber": "2", "uploadid": "u1"}, "UploadPart"),
        ("get", None, "", {}, "GetService"),
        ("POST", BUCKET, "", {"delete": ""}, "DeleteMultipleObjects"),
        ("PUT", BUCKET, "a.jpg", {"acl": ""}, "PutObjectACL"),
        ("GET", BUCKET, "a.jpg", {"acl": ""}, "GetObjectACL"),
        ("PUT", BUCKET, "", {"acl": ""}, "PutBucketACL"),
        ("GET", BUCKET, "", {"ACL": ""}, "GetBucketACL"),
        ("PUT", BUCKET, "a.jpg", {"tagging": ""}, "PutObjectTagging"),
        ("GET", BUCKET, "a.jpg", {"tagging": ""}, "GetObjectTagging"),
        ("DELETE", BUCKET, "a.jpg", {"tagging": ""}, "DeleteObjectTagging"),
        ("PUT", BUCKET, "", {"tagging": ""}, "PutBucketTagging"),
        ("GET", BUCKET, "", {"tagging": ""}, "GetBucketTagging"),
        ("DELETE", BUCKET, "", {"tagging": ""}, "DeleteBucketTagging"),
        ("GET", BUCKET, "", {"location": ""}, "GetBucketLocation"),
        ("GET", "", "", {}, "GetService"),
    ],
)
def test_it_classifies_requests(
    method: str, bucket: str | None, key: str, params: dict[str, str], operation: str
) -> None:
    assert classify(method, bucket, key, params) == operation


@pytest.mark.parametrize(
    ("method", "bucket", "key", "params", "message"),
    [
        ("OPTIONS", BUCKET, "a.jpg", {}, "OPTIONS is a CORS preflight, not an operation"),
        ("OPTIONS", None, "", {}, "OPTIONS is a CORS preflight, not an operation"),
        ("PUT", None, "", {}, "PUT / without a bucket is not an operation"),
        ("POST", BUCKET, "", {}, "POST / is not a supported operation"),
        ("POST", BUCKET, "a.jpg", {}, "POST /a.jpg is not a supported operation"),
        ("PUT", BUCKET, "a.bin", {"uploadId": "u1"}, "PUT /a.bin?uploadid is not a supported operation"),
        ("PUT", BUCKET, "a.bin", {"partNumber": "1"}, "PUT /a.bin?partnumber is not a supported operation"),
        ("GET", BUCKET, "a.bin", {"uploads": ""}, "GET /a.bin?uploads is not a supported operation"),
        ("PUT", BUCKET, "", {"uploads": ""}, "PUT /?uploads is not a supported operation"),
        ("HEAD", BUCKET, "", {"cors": ""}, "HEAD /?cors is not a supported operation"),
        ("PUT", BUCKET, "a.jpg", {"cors": ""}, "PUT /a.jpg?cors is not a supported operation"),
        ("GET", BUCKET, "", {"policy": ""}, "sub-resource ?policy is not supported"),
        ("POST", BUCKET, "a.jpg", {"restore": ""}, "sub-resource ?restore is not supported"),
        ("POST", BUCKET, "a.jpg", {"acl": ""}, "POST /a.jpg?acl is not a supported operation"),
        ("HEAD", BUCKET, "a.jpg", {"tagging": ""}, "HEAD /a.jpg?tagging is not a supported operation"),
        ("POST", BUCKET, "a.jpg", {"delete": ""}, "POST /a.jpg?delete is not a supported operation"),
        ("GET", BUCKET, "a.jpg", {"location": ""}, "GET /a.jpg?location is not a supported operation"),
        ("PATCH", BUCKET, "a.jpg", {}, "PATCH /a.jpg is not a supported operation"),
        ("GET", BUCKET, "", {"cors": "", "uploads": ""}, "GET /?cors&uploads is not a supported operation"),
        ("GET", BUCKET, "", {"Versioning": ""}, VERSIONING_REFUSED),
        ("GET", BUCKET, "", {"versions": ""}, VERSIONING_REFUSED),
        ("GET", BUCKET, "a.jpg", {"versionId": "v1"}, VERSIONING_REFUSED),
        ("PUT", BUCKET, "a.jpg", {"intelligenttiering": ""}, "sub-resource ?intelligenttiering is not supported"),
    ],
)
def test_it_refuses_what_is_not_an_operation(
    method: str, bucket: str | None, key: str, params: dict[str, str], message: str
) -> None:
    with pytest.raises(UnsupportedOperation) as caught:
        classify(method, bucket, key, params)
    assert str(caught.value) == message


def test_it_routes_copies_by_their_header_and_refuses_a_copy_header_elsewhere() -> None:
    assert classify("PUT", BUCKET, "a.jpg", {}, ["X-Cos-Copy-Source"]) == "PutObjectCopy"
    parts = {"partNumber": "1", "uploadId": "u"}
    assert classify("PUT", BUCKET, "a.jpg", parts, ["x-cos-copy-source"]) == "UploadPartCopy"
    for method in ("GET", "POST"):
        with pytest.raises(UnsupportedOperation, match=r"^copying objects \(x-cos-copy-source\) is not supported$"):
            classify(method, BUCKET, "a.jpg", {}, ["X-Cos-Copy-Source"])


def test_it_has_one_route_per_operation_with_its_cam_action() -> None:
    assert sorted(route.operation for route in ROUTES) == sorted(OPERATIONS)
    for route in ROUTES:
        assert route.action == action_for(route.operation)
        assert route.action == f"name/cos:{ACTION_OF.get(route.operation, route.operation)}"
        assert route.scope == OPERATIONS[route.operation]


def test_it_never_lists_an_operation_both_as_implemented_and_missing() -> None:
    implemented = {route.action for route in ROUTES}
    assert not implemented & {missing.action for missing in NOT_IMPLEMENTED}
    assert {"acl", "tagging", "versioning", "delete", "append", "restore", "select"} <= SUBRESOURCES


def test_it_leaves_authorisation_to_the_dispatcher_never_to_a_handler() -> None:
    """A handler that had to remember authorize() would one day forget it. Only the routes' checks (and the
    dispatcher) call it, or authorize_other() for a copy's source and each key of a multiple delete."""
    handlers = (access, buckets, copies, deletes, multipart, objects, tagging)
    for module in handlers:
        assert ".authorize" not in inspect.getsource(module), module.__name__
    for route in ROUTES:
        assert route.check is not None
        assert route.handler.__module__ in {module.__name__ for module in handlers}
