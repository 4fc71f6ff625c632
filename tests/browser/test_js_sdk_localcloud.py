"""cos-js-sdk-v5 in headless Chromium against localcloud, with temporary credentials from localcloud's STS (issue 2,
"What it must show" 4): a 12 MiB multipart upload to the bucket's *.localhost virtual host, paused (the bytes stop),
resumed and completed with the right MD5; then a cancelled upload whose abortUploadTask leaves no multipart upload
behind.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models, sts_client

from localcloud.server import RunningServer
from qcloud.endpoints import local_domain
from tests.net import static_site

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SDK = REPO / "node_modules" / "cos-js-sdk-v5" / "dist" / "cos-js-sdk-v5.min.js"
REGION = "ap-guangzhou"
BUCKET = "browser-1250000000"
MiB = 1024 * 1024
FILE_SIZE = 12 * MiB
CHUNK_SIZE = MiB
THROUGHPUT = 3 * MiB  # bytes per second: 12 MiB take about 4 s, long enough to pause in the middle

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>cos-js-sdk-v5 x localcloud</title>
<script src="/cos-js-sdk-v5.min.js"></script>
<script src="/upload.js"></script>
</head><body><p>upload test page</p></body></html>
"""

# What a page using cos-js-sdk-v5 with temporary keys does; the test drives it through window.* functions.
UPLOAD_JS = """
window.uploads = {};
window.setUp = function (options) {
  window.options = options;
  window.cos = new COS({
    Domain: options.domain,
    Protocol: 'http:',
    ChunkParallelLimit: 2,
    getAuthorization: function (scope, callback) { callback(options.credentials); },
  });
};
window.loadFile = async function (url) {
  const response = await fetch(url);
  window.file = await response.blob();
  return window.file.size;
};
window.startUpload = function (key) {
  const state = { loaded: 0, done: false, error: null, taskId: null };
  window.uploads[key] = state;
  window.cos.uploadFile({
    Bucket: options.bucket, Region: options.region, Key: key, Body: window.file,
    SliceSize: options.chunkSize, ChunkSize: options.chunkSize,
    onTaskReady: function (taskId) { state.taskId = taskId; },
    onProgress: function (info) { state.loaded = info.loaded; },
  }, function (err, data) {
    state.done = true;
    state.error = err ? JSON.stringify(err) : null;
  });
};
// Cancel as the demo must: cancelTask only stops the client, abortUploadTask removes the upload at COS.
window.cancelUpload = function (key) {
  window.cos.cancelTask(window.uploads[key].taskId);
  return new Promise(function (resolve, reject) {
    window.cos.multipartList({ Bucket: options.bucket, Region: options.region, Prefix: key }, function (err, data) {
      if (err) return reject(JSON.stringify(err));
      const upload = (data.Upload || []).find(function (u) { return u.Key === key; });
      if (!upload) return reject('no multipart upload for ' + key);
      window.cos.abortUploadTask({
        Bucket: options.bucket, Region: options.region, Key: key, Level: 'task', UploadId: upload.UploadId,
      }, function (err, result) { err ? reject(JSON.stringify(err)) : resolve(upload.UploadId); });
    });
  });
};
"""


def upload_policy() -> dict[str, Any]:
    """The least privilege a browser upload needs (DESIGN.md), for users/alice/ only."""
    actions = [
        "ListMultipartUploads",
        "InitiateMultipartUpload",
        "UploadPart",
        "ListParts",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "PutObject",
    ]
    return {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "action": [f"name/cos:{action}" for action in actions],
                "resource": [f"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/users/alice/*"],
            }
        ],
    }


@pytest.fixture(scope="module")
def content() -> bytes:
    return random.Random(20261129).randbytes(FILE_SIZE)


@pytest.fixture(scope="module")
def page_server(content: bytes) -> Iterator[str]:
    """A tiny web server for the test page: its origin is what the bucket's CORS rule allows."""
    files = {
        "/": (PAGE.encode(), "text/html; charset=utf-8"),
        "/upload.js": (UPLOAD_JS.encode(), "text/javascript"),
        "/cos-js-sdk-v5.min.js": (SDK.read_bytes(), "text/javascript"),
        "/file.bin": (content, "application/octet-stream"),
    }

    with static_site(files) as origin:
        yield origin


def root_cos(localcloud: RunningServer) -> CosS3Client:
    config = localcloud.app.config
    return CosS3Client(
        CosConfig(
            Region=REGION,
            SecretId=config.secret_id,
            SecretKey=config.secret_key,
            Scheme="http",
            IP=localcloud.host,
            Port=localcloud.port,
            ServiceDomain=f"{localcloud.host}:{localcloud.port}",
        ),
        retry=0,
    )


@pytest.fixture(scope="module")
def bucket(localcloud: RunningServer, page_server: str) -> str:
    client = root_cos(localcloud)
    client.create_bucket(Bucket=BUCKET)
    rule = {
        "AllowedOrigin": [page_server],
        "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "AllowedHeader": ["*"],
        "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
        "MaxAgeSeconds": "600",
    }
    client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRule": [rule]})
    return BUCKET


def temporary_credentials(localcloud: RunningServer) -> dict[str, Any]:
    """From localcloud's STS through the real SDK, in the shape getAuthorization hands to cos-js-sdk-v5."""
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"{localcloud.host}:{localcloud.port}", protocol="http"))
    config = localcloud.app.config
    client = sts_client.StsClient(credential.Credential(config.secret_id, config.secret_key), REGION, profile)
    request = models.GetFederationTokenRequest()
    request.Name = "alice"
    request.Policy = quote(json.dumps(upload_policy()))
    request.DurationSeconds = 1800
    response = client.GetFederationToken(request)
    return {
        "TmpSecretId": response.Credentials.TmpSecretId,
        "TmpSecretKey": response.Credentials.TmpSecretKey,
        "SecurityToken": response.Credentials.Token,
        "StartTime": int(time.time()) - 1,
        "ExpiredTime": response.ExpiredTime,
    }


def bytes_in(localcloud: RunningServer) -> int:
    counts = requests.get(f"{localcloud.url}/_localcloud/stats", timeout=10).json()["counts"]
    return int(counts.get("cos:bytes_in", 0))


def settled_bytes_in(localcloud: RunningServer, quiet: float = 1.0, limit: float = 15.0) -> int:
    """cos:bytes_in once it has not grown for `quiet` seconds. At THROUGHPUT an active upload adds ~3 MiB a second,
    so a quiet second means the browser really stopped sending (watching the wire takes real time)."""
    deadline = time.monotonic() + limit
    value, since = bytes_in(localcloud), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = bytes_in(localcloud)
        if current != value:
            value, since = current, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    pytest.fail(f"cos:bytes_in kept growing for {limit}s after the upload was paused")


@pytest.fixture
def upload_page(page: Any, localcloud: RunningServer, page_server: str, bucket: str, content: bytes) -> Any:
    page.goto(page_server + "/")
    page.evaluate(
        "options => window.setUp(options)",
        {
            "domain": local_domain(localcloud.url),
            "bucket": bucket,
            "region": REGION,
            "chunkSize": CHUNK_SIZE,
            "credentials": temporary_credentials(localcloud),
        },
    )
    assert page.evaluate("url => window.loadFile(url)", "/file.bin") == len(content)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": THROUGHPUT},
    )
    return page


def upload_state(page: Any, key: str) -> dict[str, Any]:
    return dict(page.evaluate("key => window.uploads[key]", key))


def test_it_pauses_resumes_and_completes_a_multipart_upload(
    upload_page: Any, localcloud: RunningServer, content: bytes
) -> None:
    key = "users/alice/big.bin"
    start = bytes_in(localcloud)
    upload_page.evaluate("key => window.startUpload(key)", key)
    upload_page.wait_for_function(f"window.uploads[{json.dumps(key)}].loaded >= {3 * CHUNK_SIZE}", timeout=30_000)

    upload_page.evaluate("key => window.cos.pauseTask(window.uploads[key].taskId)", key)
    paused_at = settled_bytes_in(localcloud)
    state = upload_state(upload_page, key)
    assert not state["done"]
    assert paused_at - start < len(content)
    in_progress = root_cos(localcloud).list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Upload", [])
    assert [upload["Key"] for upload in in_progress] == [key]

    upload_page.evaluate("key => window.cos.restartTask(window.uploads[key].taskId)", key)
    upload_page.wait_for_function(f"window.uploads[{json.dumps(key)}].done", timeout=60_000)

    state = upload_state(upload_page, key)
    assert state["error"] is None
    stored = root_cos(localcloud).get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read()
    assert hashlib.md5(stored).hexdigest() == hashlib.md5(content).hexdigest()  # noqa: S324 - comparing files
    # Resumed, not restarted: parts finished before the pause were not sent again (at most the parts in flight).
    assert bytes_in(localcloud) - start <= len(content) + 2 * CHUNK_SIZE
    assert root_cos(localcloud).list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Upload", []) == []


def test_it_leaves_no_upload_behind_after_cancel_and_abort(upload_page: Any, localcloud: RunningServer) -> None:
    key = "users/alice/cancelled.bin"
    upload_page.evaluate("key => window.startUpload(key)", key)
    upload_page.wait_for_function(f"window.uploads[{json.dumps(key)}].loaded >= {2 * CHUNK_SIZE}", timeout=30_000)
    assert len(root_cos(localcloud).list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Upload", [])) == 1

    upload_id = upload_page.evaluate("key => window.cancelUpload(key)", key)

    assert upload_id
    settled_bytes_in(localcloud)
    assert root_cos(localcloud).list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Upload", []) == []
    assert not upload_state(upload_page, key)["done"]
