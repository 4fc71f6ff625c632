"""COS resource names: built and split in one place, patterns and templates included."""

from __future__ import annotations

import pytest

from qcloud.resources import CosResource, granted_prefix, parse_resource, resource_name

APPID = "1250000000"
BUCKET = "photos-1250000000"


def test_it_builds_bucket_and_object_names() -> None:
    assert resource_name("ap-guangzhou", APPID, BUCKET) == f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/"
    assert (
        resource_name("ap-guangzhou", APPID, BUCKET, "a/b.jpg") == f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/a/b.jpg"
    )


def test_it_splits_what_it_builds() -> None:
    parsed = parse_resource(resource_name("ap-guangzhou", APPID, BUCKET, "users/a:b/*"))
    assert parsed == CosResource(region="ap-guangzhou", owner=f"uid/{APPID}", bucket=BUCKET, key="users/a:b/*")
    assert parsed.appid == APPID
    assert str(parsed) == f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/users/a:b/*"


def test_it_splits_patterns_and_templates() -> None:
    assert parse_resource("qcs::cos:*:uid/${appid}:*") == CosResource("*", "uid/${appid}", "*", None)
    assert parse_resource("qcs::cos:*:*:photos-*/") == CosResource("*", "*", "photos-*", "")
    any_owner = parse_resource("qcs::cos:*:*:photos-*/")
    assert any_owner is not None
    assert any_owner.appid is None


@pytest.mark.parametrize("resource", ["*", "qcs::cam::uin/1:roleName/r", "qcs::cos:ap-guangzhou", "cos:a:b:c:d:e"])
def test_it_says_none_for_what_is_not_a_cos_resource(resource: str) -> None:
    assert parse_resource(resource) is None


@pytest.mark.parametrize(
    ("resource", "prefix"),
    [
        ("*", ""),
        (f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/users/alice/*", "users/alice/"),
        (f"qcs::cos:*:uid/{APPID}:{BUCKET}/*", ""),
        (f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/", ""),
        (f"qcs::cos::uid/{APPID}:photos-*", ""),
        (f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}/one.jpg", None),
        (f"qcs::cos:ap-guangzhou:uid/{APPID}:{BUCKET}", None),
        (f"qcs::cos:ap-beijing:uid/{APPID}:{BUCKET}/*", None),
        (f"qcs::cos:ap-guangzhou:uid/1250000001:{BUCKET}/*", None),
        (f"qcs::cos:ap-guangzhou:uid/{APPID}:other-{APPID}/*", None),
        ("qcs::cam::uin/1:roleName/r", None),
    ],
)
def test_it_reads_the_prefix_a_pattern_grants_in_a_bucket(resource: str, prefix: str | None) -> None:
    assert granted_prefix(resource, region="ap-guangzhou", appid=APPID, bucket=BUCKET) == prefix
