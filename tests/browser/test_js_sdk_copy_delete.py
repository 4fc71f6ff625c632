"""cos-js-sdk-v5 in headless Chromium against localcloud (the bucket's *.localhost virtual host, CORS from its rule):
putObjectCopy and deleteMultipleObject with temporary keys, what the policy allows and what it does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from qcloud_cos import CosConfig, CosS3Client

from localcloud.server import RunningServer
from tests.browser.js_sdk import SDK, call, sdk_options
from tests.net import static_site

pytestmark = pytest.mark.browser

REGION = "ap-guangzhou"
BUCKET = "jscopy-1250000000"
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>copy and delete</title>
<script src="/cos-js-sdk-v5.min.js"></script></head><body></body></html>"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    files = {"/": (PAGE, "text/html; charset=utf-8"), "/cos-js-sdk-v5.min.js": (SDK.read_bytes(), "text/javascript")}

    with static_site(files) as origin:
        yield origin


@pytest.fixture(scope="module")
def root(localcloud: RunningServer, page_server: str) -> CosS3Client:
    config = localcloud.app.config
    client = CosS3Client(
        CosConfig(
            Region=REGION,
            SecretId=config.secret_id,
            SecretKey=config.secret_key,
            Scheme="http",
            IP=localcloud.host,
            Port=localcloud.port,
        ),
        retry=0,
    )
    client.create_bucket(Bucket=BUCKET)
    rule = {
        "AllowedOrigin": [page_server],
        "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "AllowedHeader": ["*"],
        "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
    }
    client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRule": [rule]})
    return client


def options(localcloud: RunningServer, *actions: str) -> dict[str, Any]:
    """Temporary keys for users/alice/ only, in the shape getAuthorization hands to cos-js-sdk-v5."""
    return sdk_options(localcloud, BUCKET, list(actions), ["users/alice/*"])


def source(key: str) -> str:
    return f"{BUCKET}.cos.{REGION}.myqcloud.com/{key}"


def test_it_copies_what_the_keys_may_read_and_write(
    page: Any, page_server: str, localcloud: RunningServer, root: CosS3Client
) -> None:
    root.put_object(Bucket=BUCKET, Key="users/alice/a.txt", Body=b"copy in the browser")
    root.put_object(Bucket=BUCKET, Key="users/bob/b.txt", Body=b"not alice's")
    page.goto(page_server + "/")
    settings = options(localcloud, "GetObject", "PutObject")
    copied = call(page, settings, "putObjectCopy", Key="users/alice/copy.txt", CopySource=source("users/alice/a.txt"))
    assert copied["ok"], json.dumps(copied)
    assert copied["data"]["ETag"].strip('"')
    body = root.get_object(Bucket=BUCKET, Key="users/alice/copy.txt")["Body"].get_raw_stream().read()
    assert body == b"copy in the browser"
    stolen = call(page, settings, "putObjectCopy", Key="users/alice/stolen.txt", CopySource=source("users/bob/b.txt"))
    assert stolen == {"ok": False, "error": {"statusCode": 403, "code": "AccessDenied"}}
    assert root.object_exists(Bucket=BUCKET, Key="users/alice/stolen.txt") is False


def test_it_deletes_many_keys_each_as_the_keys_allow(
    page: Any, page_server: str, localcloud: RunningServer, root: CosS3Client
) -> None:
    for key in ("users/alice/1.txt", "users/alice/2.txt", "users/bob/3.txt"):
        root.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    page.goto(page_server + "/")
    settings = options(localcloud, "DeleteObject")
    objects = [{"Key": "users/alice/1.txt"}, {"Key": "users/bob/3.txt"}, {"Key": "users/alice/2.txt"}]
    result = call(page, settings, "deleteMultipleObject", Objects=objects)
    assert result["ok"], json.dumps(result)
    assert sorted(item["Key"] for item in result["data"]["Deleted"]) == ["users/alice/1.txt", "users/alice/2.txt"]
    assert [(item["Key"], item["Code"]) for item in result["data"]["Error"]] == [("users/bob/3.txt", "AccessDenied")]
    assert root.object_exists(Bucket=BUCKET, Key="users/bob/3.txt") is True
    assert root.object_exists(Bucket=BUCKET, Key="users/alice/1.txt") is False
