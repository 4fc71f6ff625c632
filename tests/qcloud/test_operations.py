from __future__ import annotations

import pytest

from qcloud.operations import (
    ACTION_OF,
    OPERATIONS,
    UnsupportedOperation,
    action_for,
    authorize,
    resources_for,
)
from qcloud.policy import RequestContext, parse_policy, resource_name

REGION = "ap-guangzhou"
APPID = "1250000000"
BUCKET = "photos-1250000000"
BUCKET_RESOURCE = f"qcs::cos:{REGION}:uid/{APPID}:{BUCKET}/"


def test_it_maps_every_operation_to_its_action() -> None:
    assert action_for("PutObject") == "name/cos:PutObject"
    assert action_for("GetService") == "name/cos:GetService"
    assert {action_for(operation) for operation in OPERATIONS if operation not in ACTION_OF} == {
        f"name/cos:{op}" for op in OPERATIONS if op not in ACTION_OF
    }
    assert len(OPERATIONS) == 32


def test_it_authorises_copies_and_multiple_deletes_as_the_sdks_scope_them() -> None:
    """cos-js-sdk-v5 asks for PutObject on a copy's destination and DeleteObject on each key of a multiple delete."""
    assert action_for("PutObjectCopy") == "name/cos:PutObject"
    assert action_for("UploadPartCopy") == "name/cos:PutObject"
    assert action_for("DeleteMultipleObjects") == "name/cos:DeleteObject"


def test_it_refuses_an_unknown_operation() -> None:
    with pytest.raises(UnsupportedOperation, match=r"^unknown operation 'PutObjectAcl'$"):
        action_for("PutObjectAcl")
    with pytest.raises(UnsupportedOperation, match=r"^unknown operation 'Nope'$"):
        resources_for("Nope", region=REGION, appid=APPID, bucket=BUCKET)


def test_it_names_the_resources_of_each_level() -> None:
    where = {"region": REGION, "appid": APPID}
    assert resources_for("GetService", bucket=None, **where) == ["*"]
    assert resources_for("HeadBucket", bucket=BUCKET, **where) == [BUCKET_RESOURCE]
    assert resources_for("PutBucketCORS", bucket=BUCKET, **where) == [BUCKET_RESOURCE]
    assert resources_for("GetBucket", bucket=BUCKET, prefix="users/alice/", **where) == [
        BUCKET_RESOURCE,
        BUCKET_RESOURCE + "users/alice/",
    ]
    assert resources_for("ListMultipartUploads", bucket=BUCKET, prefix="a.bin", **where) == [
        BUCKET_RESOURCE,
        BUCKET_RESOURCE + "a.bin",
    ]
    assert resources_for("GetBucket", bucket=BUCKET, **where) == [BUCKET_RESOURCE]
    # The prefix only widens listing operations.
    assert resources_for("DeleteBucket", bucket=BUCKET, prefix="users/alice/", **where) == [BUCKET_RESOURCE]
    assert resources_for("PutObject", bucket=BUCKET, key="users/alice/a.jpg", **where) == [
        resource_name(REGION, APPID, BUCKET, "users/alice/a.jpg")
    ]


def test_it_needs_a_bucket_and_key_where_the_level_says_so() -> None:
    with pytest.raises(ValueError, match=r"^HeadBucket needs a bucket$"):
        resources_for("HeadBucket", region=REGION, appid=APPID, bucket=None)
    with pytest.raises(ValueError, match=r"^GetObject needs an object key$"):
        resources_for("GetObject", region=REGION, appid=APPID, bucket=BUCKET)


UPLOAD_ONLY = parse_policy(
    {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "action": [
                    "name/cos:PutObject",
                    "name/cos:ListMultipartUploads",
                    "name/cos:InitiateMultipartUpload",
                    "name/cos:UploadPart",
                    "name/cos:ListParts",
                    "name/cos:CompleteMultipartUpload",
                    "name/cos:AbortMultipartUpload",
                    "name/cos:GetBucket",
                ],
                "resource": [BUCKET_RESOURCE + "users/alice/*"],
            }
        ],
    }
)


@pytest.mark.parametrize("operation", ["GetBucket", "ListMultipartUploads"])
def test_it_lets_a_prefix_scoped_policy_list_only_its_own_prefix(operation: str) -> None:
    def can_list(prefix: str) -> bool:
        return authorize([UPLOAD_ONLY], operation, region=REGION, appid=APPID, bucket=BUCKET, prefix=prefix).allowed

    assert can_list("users/alice/")
    assert can_list("users/alice/photos/")
    assert not can_list("users/")
    assert not can_list("users/bob/")
    assert not can_list("")
    assert not can_list("users/alice")  # would also list users/alice2/...


def test_it_authorizes_object_operations_by_key() -> None:
    def may(operation: str, key: str) -> bool:
        return authorize([UPLOAD_ONLY], operation, region=REGION, appid=APPID, bucket=BUCKET, key=key).allowed

    assert may("PutObject", "users/alice/a.jpg")
    assert may("UploadPart", "users/alice/big.bin")
    assert not may("PutObject", "users/bob/a.jpg")
    assert not may("GetObject", "users/alice/a.jpg")
    assert not may("PutObject", "users/alice")


def test_it_requires_every_policy_to_allow() -> None:
    role = parse_policy(
        {"statement": [{"effect": "allow", "action": "name/cos:*", "resource": BUCKET_RESOURCE + "users/*"}]}
    )
    decision = authorize([role, UPLOAD_ONLY], "PutObject", region=REGION, appid=APPID, bucket=BUCKET, key="users/bob/x")
    assert not decision.allowed
    assert decision.policy == 1
    decision = authorize(
        [role, UPLOAD_ONLY], "PutObject", region=REGION, appid=APPID, bucket=BUCKET, key="users/alice/x"
    )
    assert decision.allowed
    # A session policy wider than the role cannot widen it.
    wide = parse_policy({"statement": [{"effect": "allow", "action": "*", "resource": "*"}]})
    decision = authorize([role, wide], "PutObject", region=REGION, appid=APPID, bucket=BUCKET, key="public/x")
    assert not decision.allowed
    assert decision.policy == 0


def test_it_passes_the_request_context_to_conditions() -> None:
    limited = parse_policy(
        {
            "statement": [
                {
                    "effect": "allow",
                    "action": "name/cos:PutObject",
                    "resource": BUCKET_RESOURCE + "*",
                    "condition": {"numeric_less_than_equal": {"cos:content-length": 5 * 1024 * 1024}},
                }
            ]
        }
    )
    where = {"region": REGION, "appid": APPID, "bucket": BUCKET, "key": "a.jpg"}
    small = RequestContext(content_length=4 * 1024 * 1024)
    large = RequestContext(content_length=6 * 1024 * 1024)
    assert authorize([limited], "PutObject", context=small, **where).allowed
    assert not authorize([limited], "PutObject", context=large, **where).allowed
    unknown = authorize([limited], "PutObject", **where)
    assert not unknown.allowed
    assert unknown.missing_context == ("cos:content-length",)


def test_it_lets_get_service_through_only_with_the_star_resource() -> None:
    service = parse_policy({"statement": [{"effect": "allow", "action": "name/cos:GetService", "resource": "*"}]})
    assert authorize([service], "GetService", region=REGION, appid=APPID, bucket=None).allowed
    scoped = parse_policy(
        {"statement": [{"effect": "allow", "action": "name/cos:GetService", "resource": BUCKET_RESOURCE + "*"}]}
    )
    assert not authorize([scoped], "GetService", region=REGION, appid=APPID, bucket=None).allowed
