"""localcloud's routing table: which COS request is which operation, and what it refuses."""

from __future__ import annotations

import inspect

import pytest

from localcloud.cos import buckets, multipart, objects
from localcloud.cos.routes import NOT_IMPLEMENTED, ROUTES, SUBRESOURCES, classify
from qcloud.operations import OPERATIONS, UnsupportedOperation, action_for

BUCKET = "photos-1250000000"


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
        ("GET", BUCKET, "", {"acl": ""}, "sub-resource ?acl is not supported"),
        ("PUT", BUCKET, "a.jpg", {"tagging": ""}, "sub-resource ?tagging is not supported"),
        ("POST", BUCKET, "", {"delete": ""}, "sub-resource ?delete is not supported"),
        ("PATCH", BUCKET, "a.jpg", {}, "PATCH /a.jpg is not a supported operation"),
        ("GET", BUCKET, "", {"cors": "", "uploads": ""}, "GET /?cors&uploads is not a supported operation"),
        ("GET", BUCKET, "", {"Versioning": ""}, "sub-resource ?versioning is not supported"),
        ("PUT", BUCKET, "a.jpg", {"intelligenttiering": ""}, "sub-resource ?intelligenttiering is not supported"),
    ],
)
def test_it_refuses_what_is_not_an_operation(
    method: str, bucket: str | None, key: str, params: dict[str, str], message: str
) -> None:
    with pytest.raises(UnsupportedOperation) as caught:
        classify(method, bucket, key, params)
    assert str(caught.value) == message


def test_it_refuses_a_copy_whatever_the_method() -> None:
    for method in ("PUT", "GET", "POST"):
        with pytest.raises(UnsupportedOperation, match=r"^copying objects \(x-cos-copy-source\) is not supported$"):
            classify(method, BUCKET, "a.jpg", {}, ["X-Cos-Copy-Source"])
    with pytest.raises(UnsupportedOperation, match="copying objects"):
        classify("PUT", BUCKET, "a.jpg", {"partNumber": "1", "uploadId": "u"}, ["x-cos-copy-source"])


def test_it_has_one_route_per_operation_with_its_cam_action() -> None:
    assert sorted(route.operation for route in ROUTES) == sorted(OPERATIONS)
    for route in ROUTES:
        assert route.action == action_for(route.operation) == f"name/cos:{route.operation}"
        assert route.scope == OPERATIONS[route.operation]


def test_it_never_lists_an_operation_both_as_implemented_and_missing() -> None:
    implemented = {route.action for route in ROUTES}
    assert not implemented & {missing.action for missing in NOT_IMPLEMENTED}
    assert {"acl", "tagging", "versioning", "delete", "append", "restore", "select"} <= SUBRESOURCES


def test_it_leaves_authorisation_to_the_dispatcher_never_to_a_handler() -> None:
    """Handlers live in buckets, objects and multipart; a handler that had to remember authorize() would one day
    forget it. Only the routes' checks (and the dispatcher) call it."""
    for module in (buckets, objects, multipart):
        assert ".authorize(" not in inspect.getsource(module), module.__name__
    for route in ROUTES:
        assert route.check is not None
        assert route.handler.__module__ in {buckets.__name__, objects.__name__, multipart.__name__}
