"""cos-nodejs-sdk-v5 (npm) against localcloud: copy, part copy (sliceCopyFile), multiple delete and ACLs, with
their policy denials. Each test runs tests/node/cos_calls.js with node, the SDK's calls one after the other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.cos_sdk import REGION
from tests.localcloud.conftest import allow, md5_hex, policy, resource

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "node" / "cos_calls.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "cos-nodejs-sdk-v5").is_dir(),
    reason="needs node and `npm ci` (cos-nodejs-sdk-v5 is a devDependency)",
)

Call = tuple[str, dict[str, Any]]


def run_node(server: RunningServer, calls: list[Call], creds: IssuedCredentials | None = None) -> list[dict[str, Any]]:
    spec = {
        "ip": f"{server.host}:{server.port}",
        "secretId": creds.secret_id if creds else DEFAULT_SECRET_ID,
        "secretKey": creds.secret_key if creds else DEFAULT_SECRET_KEY,
        "token": creds.token if creds else None,
        "calls": calls,
    }
    done = subprocess.run(
        ["node", str(SCRIPT), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def on(bucket: str, **params: Any) -> dict[str, Any]:
    return {"Bucket": bucket, "Region": REGION, **params}


def copy_source(bucket: str, key: str) -> str:
    return f"{bucket}.cos.{REGION}.myqcloud.com/{requests.utils.quote(key, safe='/')}"


def test_it_copies_with_put_object_copy(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="src dir/a.txt", Body=b"from node", Metadata={"x-cos-meta-who": "alice"})
    other = f"nodecopy{os.urandom(4).hex()}-1250000000"
    root.create_bucket(Bucket=other)
    results = run_node(
        localcloud,
        [
            ("putObjectCopy", on(bucket, Key="b.txt", CopySource=copy_source(bucket, "src dir/a.txt"))),
            ("putObjectCopy", on(other, Key="c.txt", CopySource=copy_source(bucket, "src dir/a.txt"))),
        ],
    )
    assert [r["ok"] for r in results] == [True, True]
    assert results[0]["data"]["ETag"] == f'"{md5_hex(b"from node")}"'
    for target, key in ((bucket, "b.txt"), (other, "c.txt")):
        copied = root.get_object(Bucket=target, Key=key)
        assert copied["Body"].get_raw_stream().read() == b"from node"
        assert copied["x-cos-meta-who"] == "alice"


def test_it_copies_in_parts_with_slice_copy_file(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 3)
    root.put_object(Bucket=bucket, Key="big.bin", Body=data)
    before = localcloud.app.stats.snapshot().get("cos:UploadPartCopy", 0)
    results = run_node(
        localcloud,
        [
            (
                "sliceCopyFile",
                on(
                    bucket,
                    Key="big-copy.bin",
                    CopySource=copy_source(bucket, "big.bin"),
                    CopySliceSize=1024 * 1024,
                    CopyChunkSize=1024 * 1024,
                ),
            )
        ],
    )
    assert results[0]["ok"], results
    assert root.get_object(Bucket=bucket, Key="big-copy.bin")["Body"].get_raw_stream().read() == data
    assert localcloud.app.stats.snapshot().get("cos:UploadPartCopy", 0) - before == 4


def test_it_refuses_a_copy_without_read_on_the_source(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Callable[..., IssuedCredentials]
) -> None:
    root.put_object(Bucket=bucket, Key="secret/a.txt", Body=b"x")
    writer = issue(policy(allow(["name/cos:PutObject", "name/cos:GetObject"], [resource(bucket, "mine/*")])))
    results = run_node(
        localcloud,
        [
            ("putObjectCopy", on(bucket, Key="mine/stolen.txt", CopySource=copy_source(bucket, "secret/a.txt"))),
            ("putObjectCopy", on(bucket, Key="mine/b.txt", CopySource=copy_source(bucket, "mine/b.txt"))),
        ],
        writer,
    )
    assert results[0]["ok"] is False
    assert (results[0]["error"]["statusCode"], results[0]["error"]["code"]) == (403, "AccessDenied")
    assert (results[1]["error"]["statusCode"], results[1]["error"]["code"]) == (404, "NoSuchKey")
    assert root.object_exists(Bucket=bucket, Key="mine/stolen.txt") is False


def test_it_deletes_many_keys_each_as_the_policy_allows(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Callable[..., IssuedCredentials]
) -> None:
    for key in ("mine/a.txt", "mine/b c.txt", "theirs/d.txt"):
        root.put_object(Bucket=bucket, Key=key, Body=b"x")
    alice = issue(policy(allow(["name/cos:DeleteObject"], [resource(bucket, "mine/*")])))
    objects = [{"Key": "mine/a.txt"}, {"Key": "theirs/d.txt"}, {"Key": "mine/b c.txt"}]
    results = run_node(localcloud, [("deleteMultipleObject", on(bucket, Objects=objects))], alice)
    data = results[0]["data"]
    assert sorted(item["Key"] for item in data["Deleted"]) == ["mine/a.txt", "mine/b c.txt"]
    assert [(item["Key"], item["Code"]) for item in data["Error"]] == [("theirs/d.txt", "AccessDenied")]
    assert root.object_exists(Bucket=bucket, Key="theirs/d.txt") is True
    assert root.object_exists(Bucket=bucket, Key="mine/a.txt") is False


def test_it_sets_acls_that_anonymous_reads_obey(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Callable[..., IssuedCredentials]
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"public now")
    url = f"{localcloud.url}/cos/{REGION}/{bucket}/a.txt"
    assert requests.get(url, timeout=10).status_code == 403
    results = run_node(
        localcloud,
        [
            ("putObjectAcl", on(bucket, Key="a.txt", ACL="public-read")),
            ("getObjectAcl", on(bucket, Key="a.txt")),
            ("putBucketAcl", on(bucket, ACL="public-read")),
            ("getBucketAcl", on(bucket)),
        ],
    )
    assert [r["ok"] for r in results] == [True, True, True, True]
    assert results[1]["data"]["ACL"] == "public-read"
    assert results[3]["data"]["ACL"] == "public-read"
    assert requests.get(url, timeout=10).content == b"public now"
    results = run_node(localcloud, [("putObjectAcl", on(bucket, Key="a.txt", ACL="private"))])
    assert results[0]["ok"]
    assert requests.get(url, timeout=10).status_code == 403


def test_it_refuses_acl_changes_the_policy_does_not_allow(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Callable[..., IssuedCredentials]
) -> None:
    root.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    reader = issue(policy(allow(["name/cos:GetObject", "name/cos:GetObjectACL"], [resource(bucket, "*")])))
    results = run_node(
        localcloud,
        [("putObjectAcl", on(bucket, Key="a.txt", ACL="public-read")), ("getObjectAcl", on(bucket, Key="a.txt"))],
        reader,
    )
    assert (results[0]["error"]["statusCode"], results[0]["error"]["code"]) == (403, "AccessDenied")
    assert results[1]["ok"]
    assert results[1]["data"]["ACL"] == "default"
    assert requests.get(f"{localcloud.url}/cos/{REGION}/{bucket}/a.txt", timeout=10).status_code == 403
