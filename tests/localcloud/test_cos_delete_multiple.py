"""DELETE Multiple Objects (POST /?delete) with cos-python-sdk-v5's delete_objects, and the raw requests the SDK
never sends (no Content-MD5, a broken body, too many keys)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import REGION, bucket_host
from tests.localcloud.conftest import allow, cos_error, md5_b64, parse_xml, policy, resource


def delete_body(keys: list[str], quiet: bool = False) -> bytes:
    objects = "".join(f"<Object><Key>{key}</Key></Object>" for key in keys)
    return f"<Delete><Quiet>{'true' if quiet else 'false'}</Quiet>{objects}</Delete>".encode()


def post_delete(server: RunningServer, bucket: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    host = {"host": bucket_host(server, bucket)}
    signed = {
        "Authorization": make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "POST", "", {"delete": ""}, host)
    }
    return requests.post(
        f"{server.url}/cos/{REGION}/{bucket}/?delete", data=body, headers={**signed, **headers}, timeout=10
    )


def test_it_deletes_many_keys_and_lists_each(root: CosS3Client, bucket: str) -> None:
    for key in ("a.txt", "dir/b.txt", "dir/c d.txt"):
        root.put_object(Bucket=bucket, Key=key, Body=b"x")
    answer = root.delete_objects(
        Bucket=bucket,
        Delete={"Quiet": "false", "Object": [{"Key": "a.txt"}, {"Key": "dir/c d.txt"}, {"Key": "never-was.txt"}]},
    )
    assert sorted(item["Key"] for item in answer["Deleted"]) == ["a.txt", "dir/c d.txt", "never-was.txt"]
    assert "Error" not in answer or answer["Error"] == []
    listed = root.list_objects(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == ["dir/b.txt"]


def test_it_lists_nothing_but_failures_in_quiet_mode(root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    answer = root.delete_objects(Bucket=bucket, Delete={"Quiet": "true", "Object": [{"Key": "a.txt"}]})
    assert answer.get("Deleted", []) == []
    assert answer.get("Error", []) == []
    assert root.object_exists(Bucket=bucket, Key="a.txt") is False


def test_it_answers_access_denied_for_each_key_the_caller_may_not_delete(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
) -> None:
    for key in ("mine/a.txt", "mine/b.txt", "theirs/c.txt"):
        root.put_object(Bucket=bucket, Key=key, Body=b"x")
    alice = temporary_client(issue(policy(allow(["name/cos:DeleteObject"], [resource(bucket, "mine/*")]))))
    answer = alice.delete_objects(
        Bucket=bucket,
        Delete={"Quiet": "true", "Object": [{"Key": "mine/a.txt"}, {"Key": "theirs/c.txt"}, {"Key": "mine/b.txt"}]},
    )
    assert [(item["Key"], item["Code"]) for item in answer["Error"]] == [("theirs/c.txt", "AccessDenied")]
    assert answer.get("Deleted", []) == []
    assert root.object_exists(Bucket=bucket, Key="theirs/c.txt") is True
    assert root.object_exists(Bucket=bucket, Key="mine/a.txt") is False
    assert root.object_exists(Bucket=bucket, Key="mine/b.txt") is False


def test_it_deletes_nothing_for_a_caller_without_delete_object(
    root: CosS3Client,
    bucket: str,
    issue: Callable[..., IssuedCredentials],
    temporary_client: Callable[[IssuedCredentials], CosS3Client],
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    reader = temporary_client(issue(policy(allow(["name/cos:GetObject"], [resource(bucket, "*")]))))
    answer = reader.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": "a.txt"}]})
    assert [(item["Key"], item["Code"]) for item in answer["Error"]] == [("a.txt", "AccessDenied")]
    assert root.object_exists(Bucket=bucket, Key="a.txt") is True


def test_it_refuses_an_anonymous_multiple_delete(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    body = delete_body(["a.txt"])
    response = requests.post(
        f"{localcloud.url}/cos/{REGION}/{bucket}/?delete", data=body, headers={"Content-MD5": md5_b64(body)}, timeout=10
    )
    assert response.status_code == 403
    assert parse_xml(response.content).findtext("Code") == "AccessDenied"
    assert root.object_exists(Bucket=bucket, Key="a.txt") is True


def test_it_requires_content_md5(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    body = delete_body(["a.txt"])
    missing = post_delete(localcloud, bucket, body, {})
    assert missing.status_code == 400
    assert parse_xml(missing.content).findtext("Code") == "InvalidRequest"
    wrong = post_delete(localcloud, bucket, body, {"Content-MD5": md5_b64(b"other")})
    assert wrong.status_code == 400
    assert parse_xml(wrong.content).findtext("Code") == "BadDigest"
    assert root.object_exists(Bucket=bucket, Key="a.txt") is True


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>a.txt</Key>",
        b"<Remove><Object><Key>a.txt</Key></Object></Remove>",
        b"<Delete><Quiet>maybe</Quiet><Object><Key>a.txt</Key></Object></Delete>",
        b"<Delete><Object><Key></Key></Object></Delete>",
        b"<Delete></Delete>",
        delete_body([f"k{n}" for n in range(1001)]),
    ],
)
def test_it_answers_malformed_xml_for_a_bad_body(
    localcloud: RunningServer, root: CosS3Client, bucket: str, body: bytes
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    response = post_delete(localcloud, bucket, body, {"Content-MD5": md5_b64(body)})
    assert response.status_code == 400
    assert parse_xml(response.content).findtext("Code") == "MalformedXML"
    assert root.object_exists(Bucket=bucket, Key="a.txt") is True


def test_it_deletes_a_thousand_keys_at_once(root: CosS3Client, bucket: str) -> None:
    keys = [f"k{n:04d}" for n in range(1000)]
    answer = root.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": key} for key in keys]})
    assert len(answer["Deleted"]) == 1000


def test_it_answers_no_such_bucket(root: CosS3Client) -> None:
    with pytest.raises(CosServiceError) as missing:
        root.delete_objects(Bucket="nothing-1250000000", Delete={"Object": [{"Key": "a"}]})
    assert cos_error(missing)[:2] == (404, "NoSuchBucket")
