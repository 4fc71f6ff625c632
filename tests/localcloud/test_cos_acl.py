"""Object and bucket ACLs with cos-python-sdk-v5, enforced for anonymous (unsigned) reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.cos_sdk import REGION
from tests.localcloud.conftest import allow, cos_error, new_bucket_name, parse_xml, policy, resource

ALL_USERS = 'uri="http://cam.qcloud.com/groups/global/AllUsers"'


def anonymous(server: RunningServer, bucket: str, key: str = "", method: str = "GET") -> requests.Response:
    return requests.request(method, f"{server.url}/cos/{REGION}/{bucket}/{key}", timeout=10)


@pytest.mark.parametrize(
    ("acl", "status"), [("public-read", 200), ("private", 403), ("default", 403), ("public-read-write", 403)]
)
def test_it_lets_anonymous_callers_read_only_public_objects(
    localcloud: RunningServer, root: CosS3Client, bucket: str, acl: str, status: int
) -> None:
    """public-read-write is a bucket ACL; on an object COS lists default, private, public-read (and more)."""
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"public?")
    if acl == "public-read-write":
        with pytest.raises(CosServiceError) as refused:
            root.put_object_acl(Bucket=bucket, Key="a.txt", ACL=acl)
        assert cos_error(refused)[:2] == (400, "InvalidArgument")
    else:
        root.put_object_acl(Bucket=bucket, Key="a.txt", ACL=acl)
    answer = anonymous(localcloud, bucket, "a.txt")
    assert answer.status_code == status
    if status == 200:
        assert answer.content == b"public?"
        assert anonymous(localcloud, bucket, "a.txt", "HEAD").status_code == 200
    else:
        assert parse_xml(answer.content).findtext("Code") == "AccessDenied"


def test_it_sets_an_object_acl_at_upload(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x", ACL="public-read")
    root.put_object(Bucket=bucket, Key="b.txt", Body=b"x")
    assert anonymous(localcloud, bucket, "a.txt").status_code == 200
    assert anonymous(localcloud, bucket, "b.txt").status_code == 403
    assert root.get_object_acl(Bucket=bucket, Key="a.txt")["CannedACL"] == "public-read"
    assert root.get_object_acl(Bucket=bucket, Key="b.txt")["CannedACL"] == "default"


def test_it_grants_reads_by_header_and_by_body(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    root.put_object_acl(Bucket=bucket, Key="a.txt", GrantRead=ALL_USERS)
    assert anonymous(localcloud, bucket, "a.txt").status_code == 200
    owner = root.get_object_acl(Bucket=bucket, Key="a.txt")["Owner"]
    root.put_object_acl(
        Bucket=bucket,
        Key="a.txt",
        AccessControlPolicy={
            "Owner": {"ID": owner["ID"]},
            "AccessControlList": {
                "Grant": [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"}]
            },
        },
    )
    assert anonymous(localcloud, bucket, "a.txt").status_code == 403
    grants = root.get_object_acl(Bucket=bucket, Key="a.txt")["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["Type"], g["Permission"]) for g in grants] == [("CanonicalUser", "FULL_CONTROL")]


def test_it_lets_a_public_read_bucket_serve_its_default_objects(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="open.txt", Body=b"open")
    root.put_object(Bucket=bucket, Key="closed.txt", Body=b"closed", ACL="private")
    assert anonymous(localcloud, bucket, "open.txt").status_code == 403
    assert anonymous(localcloud, bucket).status_code == 403
    root.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert root.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read"
    assert anonymous(localcloud, bucket, "open.txt").content == b"open"
    assert anonymous(localcloud, bucket, "closed.txt").status_code == 403
    missing = anonymous(localcloud, bucket, "missing.txt")
    assert missing.status_code == 404
    assert parse_xml(missing.content).findtext("Code") == "NoSuchKey"
    listing = anonymous(localcloud, bucket)
    assert listing.status_code == 200
    assert "<Key>open.txt</Key>" in listing.text
    writes = requests.put(f"{localcloud.url}/cos/{REGION}/{bucket}/new.txt", data=b"x", timeout=10)
    assert writes.status_code == 403
    root.put_bucket_acl(Bucket=bucket, ACL="private")
    assert anonymous(localcloud, bucket, "open.txt").status_code == 403


def test_it_creates_a_bucket_with_its_acl(localcloud: RunningServer, root: CosS3Client) -> None:
    name = new_bucket_name("pub")
    root.create_bucket(Bucket=name, ACL="public-read")
    root.put_object(Bucket=name, Key="a.txt", Body=b"x")
    assert anonymous(localcloud, name, "a.txt").status_code == 200
    acl = root.get_bucket_acl(Bucket=name)
    uris = [g["Grantee"].get("URI") for g in acl["AccessControlList"]["Grant"]]
    assert "http://cam.qcloud.com/groups/global/AllUsers" in uris


def test_it_refuses_an_unknown_canned_acl(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as refused:
        root.put_bucket_acl(Bucket=bucket, ACL="everyone")
    assert cos_error(refused)[:2] == (400, "InvalidArgument")


@pytest.mark.parametrize(
    ("operation", "action", "arguments", "key"),
    [
        ("put_object_acl", "name/cos:PutObjectACL", {"ACL": "public-read"}, "a.txt"),
        ("get_object_acl", "name/cos:GetObjectACL", {}, "a.txt"),
        ("put_bucket_acl", "name/cos:PutBucketACL", {"ACL": "public-read"}, ""),
        ("get_bucket_acl", "name/cos:GetBucketACL", {}, ""),
    ],
)
def test_it_checks_each_acl_action(
    localcloud: RunningServer,
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
    operation: str,
    action: str,
    arguments: dict[str, str],
    key: str,
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    target = {"Key": key} if key else {}
    denied_client = temporary_client(issue(policy(allow(["name/cos:GetObject"], [resource(bucket, "*")]))))
    with pytest.raises(CosServiceError) as denied:
        getattr(denied_client, operation)(Bucket=bucket, **target, **arguments)
    assert cos_error(denied)[:2] == (403, "AccessDenied")
    assert anonymous(localcloud, bucket, "a.txt").status_code == 403
    allowed = temporary_client(issue(policy(allow([action], [resource(bucket, key)]))))
    getattr(allowed, operation)(Bucket=bucket, **target, **arguments)
    if "ACL" in arguments:
        assert anonymous(localcloud, bucket, "a.txt").status_code == 200


def test_it_answers_header_grantees_in_the_cam_form(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    root.put_object_acl(Bucket=bucket, Key="a.txt", GrantRead='id="100000000002",id="100000000001/100000000011"')
    grants = root.get_object_acl(Bucket=bucket, Key="a.txt")["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants[1:]] == [
        ("qcs::cam::uin/100000000002:uin/100000000002", "READ"),
        ("qcs::cam::uin/100000000001:uin/100000000011", "READ"),
    ]


def test_it_refuses_an_acl_given_both_by_header_and_by_body(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    body = {"Owner": {"ID": "qcs::cam::uin/100000000001:uin/100000000001"}, "AccessControlList": {"Grant": []}}
    with pytest.raises(CosServiceError) as refused:
        root.put_object_acl(Bucket=bucket, Key="a.txt", ACL="public-read", AccessControlPolicy=body)
    assert cos_error(refused)[:2] == (400, "InvalidArgument")
    assert anonymous(localcloud, bucket, "a.txt").status_code == 403
