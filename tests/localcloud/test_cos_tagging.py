"""Object and bucket tagging, GET Bucket location and GET Service paging, with cos-python-sdk-v5."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.cos_sdk import REGION, cos_client
from tests.localcloud.conftest import allow, cos_error, new_bucket_name, policy, resource


def tag_set(*pairs: tuple[str, str]) -> dict[str, object]:
    return {"TagSet": {"Tag": [{"Key": key, "Value": value} for key, value in pairs]}}


def tags_of(answer: dict[str, object]) -> dict[str, str]:
    found = answer.get("TagSet") or {}
    assert isinstance(found, dict)
    items = found.get("Tag", [])
    items = items if isinstance(items, list) else [items]
    return {item["Key"]: item["Value"] for item in items}


def test_it_puts_gets_and_deletes_object_tags(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    root.put_object_tagging(Bucket=bucket, Key="a.txt", Tagging=tag_set(("team", "web"), ("stage", "prod v2")))
    assert tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt")) == {"team": "web", "stage": "prod v2"}
    assert root.head_object(Bucket=bucket, Key="a.txt")["x-cos-tagging-count"] == "2"
    root.delete_object_tagging(Bucket=bucket, Key="a.txt")
    assert tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt")) == {}
    assert "x-cos-tagging-count" not in root.head_object(Bucket=bucket, Key="a.txt")


def test_it_tags_an_object_from_its_upload_header(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x", Tagging="team=web&owner=al%20ice")
    assert tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt")) == {"team": "web", "owner": "al ice"}
    got = root.get_object(Bucket=bucket, Key="a.txt")
    assert got["x-cos-tagging-count"] == "2"
    root.copy_object(Bucket=bucket, Key="b.txt", CopySource={"Bucket": bucket, "Key": "a.txt", "Region": REGION})
    assert tags_of(root.get_object_tagging(Bucket=bucket, Key="b.txt")) == {"team": "web", "owner": "al ice"}


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([(f"k{n}", "v") for n in range(11)], "BadRequest"),
        ([("k" * 128, "v")], "InvalidTag"),
        ([("标签" * 22, "v")], "InvalidTag"),  # 44 characters, 132 bytes of UTF-8
        ([("k", "v" * 256)], "InvalidTag"),
        ([("bad<key>", "v")], "InvalidTag"),
        ([("k", "a"), ("k", "b")], "InvalidTag"),
    ],
)
def test_it_refuses_tags_beyond_cos_limits(
    root: CosS3Client, bucket: str, tags: list[tuple[str, str]], code: str
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    with pytest.raises(CosServiceError) as refused:
        root.put_object_tagging(Bucket=bucket, Key="a.txt", Tagging=tag_set(*tags))
    assert cos_error(refused)[:2] == (400, code)
    assert tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt")) == {}


def test_it_accepts_ten_tags_of_the_longest_lengths(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    tags = [(f"{n}" + "k" * 126, "v" * 255) for n in range(9)] + [("标签" * 21, "值" * 85)]
    root.put_object_tagging(Bucket=bucket, Key="a.txt", Tagging=tag_set(*tags))
    assert len(tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt"))) == 10


def test_it_answers_no_such_key_for_tags_of_a_missing_object(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as missing:
        root.put_object_tagging(Bucket=bucket, Key="nothing", Tagging=tag_set(("a", "b")))
    assert cos_error(missing)[:2] == (404, "NoSuchKey")


def test_it_puts_gets_and_deletes_bucket_tags(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as none:
        root.get_bucket_tagging(Bucket=bucket)
    assert cos_error(none)[:2] == (404, "NoSuchTagSet")
    root.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("cost-center", "42")))
    assert tags_of(root.get_bucket_tagging(Bucket=bucket)) == {"cost-center": "42"}
    root.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(CosServiceError):
        root.get_bucket_tagging(Bucket=bucket)


def test_it_answers_the_bucket_location(localcloud: RunningServer, root: CosS3Client) -> None:
    name = new_bucket_name("loc")
    beijing = cos_client(localcloud, region="ap-beijing")
    beijing.create_bucket(Bucket=name)
    assert beijing.get_bucket_location(Bucket=name)["LocationConstraint"] == "ap-beijing"


def test_it_pages_the_bucket_list_with_second_precision_dates(localcloud: RunningServer) -> None:
    root = cos_client(localcloud)
    names = sorted(new_bucket_name("page") for _ in range(3))
    for name in names:
        root.create_bucket(Bucket=name)
    everything = [b["Name"] for b in root.list_buckets()["Buckets"]["Bucket"]]
    first = root.list_buckets(MaxKeys=2)
    assert first["IsTruncated"] == "true"
    assert first["NextMarker"] == first["Buckets"]["Bucket"][-1]["Name"]
    rest = root.list_buckets(Marker=first["NextMarker"], MaxKeys=2000)
    assert rest["IsTruncated"] == "false"
    paged = [b["Name"] for b in first["Buckets"]["Bucket"]] + [b["Name"] for b in rest["Buckets"]["Bucket"]]
    assert paged == everything
    assert set(names) <= set(everything)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["CreationDate"]) for b in rest["Buckets"]["Bucket"])


@pytest.mark.parametrize(
    ("action", "allowed"), [("name/cos:PutObjectTagging", True), ("name/cos:GetObjectTagging", False)]
)
def test_it_needs_put_object_tagging_to_tag(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
    action: str,
    allowed: bool,
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    client = temporary_client(issue(policy(allow([action], [resource(bucket, "*")]))))
    if allowed:
        client.put_object_tagging(Bucket=bucket, Key="a.txt", Tagging=tag_set(("a", "b")))
        assert tags_of(root.get_object_tagging(Bucket=bucket, Key="a.txt")) == {"a": "b"}
        return
    with pytest.raises(CosServiceError) as denied:
        client.put_object_tagging(Bucket=bucket, Key="a.txt", Tagging=tag_set(("a", "b")))
    assert cos_error(denied)[:2] == (403, "AccessDenied")


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("get_object_tagging", "name/cos:GetObjectTagging"),
        ("delete_object_tagging", "name/cos:DeleteObjectTagging"),
    ],
)
def test_it_checks_each_object_tagging_action(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
    operation: str,
    action: str,
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    allowed = temporary_client(issue(policy(allow([action], [resource(bucket, "a.txt")]))))
    getattr(allowed, operation)(Bucket=bucket, Key="a.txt")
    other = temporary_client(issue(policy(allow([action], [resource(bucket, "other.txt")]))))
    with pytest.raises(CosServiceError) as denied:
        getattr(other, operation)(Bucket=bucket, Key="a.txt")
    assert cos_error(denied)[:2] == (403, "AccessDenied")


@pytest.mark.parametrize(
    ("operation", "action", "arguments"),
    [
        ("put_bucket_tagging", "name/cos:PutBucketTagging", {"Tagging": tag_set(("a", "b"))}),
        ("get_bucket_location", "name/cos:GetBucketLocation", {}),
        ("delete_bucket_tagging", "name/cos:DeleteBucketTagging", {}),
    ],
)
def test_it_checks_each_bucket_action(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
    operation: str,
    action: str,
    arguments: dict[str, object],
) -> None:
    allowed = temporary_client(issue(policy(allow([action], [resource(bucket)]))))
    getattr(allowed, operation)(Bucket=bucket, **arguments)
    other = temporary_client(issue(policy(allow([action], [resource(bucket, "prefix/*")]))))
    with pytest.raises(CosServiceError) as denied:
        getattr(other, operation)(Bucket=bucket, **arguments)
    assert cos_error(denied)[:2] == (403, "AccessDenied")


def test_it_checks_get_bucket_tagging(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
) -> None:
    root.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(("a", "b")))
    allowed = temporary_client(issue(policy(allow(["name/cos:GetBucketTagging"], [resource(bucket)]))))
    assert tags_of(allowed.get_bucket_tagging(Bucket=bucket)) == {"a": "b"}
    other = temporary_client(issue(policy(allow(["name/cos:GetBucketCORS"], [resource(bucket)]))))
    with pytest.raises(CosServiceError) as denied:
        other.get_bucket_tagging(Bucket=bucket)
    assert cos_error(denied)[:2] == (403, "AccessDenied")
