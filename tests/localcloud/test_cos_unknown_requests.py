"""Requests the dispatcher does not know change nothing: every one is refused, and buckets, objects (their bodies
and metadata), uploads (their parts) and the files on disk are the same before and after.

Driven over real HTTP, each request signed with the root keys (which may do everything), so nothing but the routing
stands between the request and the storage. Before the routing table, unknown sub-resources fell through to the plain
operation on the same path: PUT /?website created a bucket, PUT /key?tagging emptied an object, DELETE /key?tagging
deleted it.
"""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.cos.routes import classify
from localcloud.cos.storage import Storage
from localcloud.server import RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization
from qcloud.operations import UnsupportedOperation
from tests.cos_sdk import bucket_host

REGION = "ap-guangzhou"
BUCKET = f"keep-{DEFAULT_APPID}"
NEW_BUCKET = f"never-{DEFAULT_APPID}"
KEY = "photos/known.txt"
UPLOAD_KEY = "videos/big.bin"
BODY = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
# COS sub-resources (Tencent's COS API reference), named alone: those localcloud implements (acl, tagging, delete,
# location) on every method and target that is not their operation, the others everywhere.
UNKNOWN = [
    "acl",
    "tagging",
    "versioning",
    "versions",
    "lifecycle",
    "policy",
    "website",
    "replication",
    "restore",
    "select",
    "append",
    "delete",
    "location",
    "logging",
    "referer",
    "origin",
    "encryption",
    "notification",
    "inventory",
    "accelerate",
    "domain",
    "intelligenttiering",
    "object-lock",
]


@dataclass
class Answer:
    status: int
    body: bytes


@dataclass
class Cloud:
    server: RunningServer
    upload_id: str

    @property
    def storage(self) -> Storage:
        return self.server.app.cos.storage

    def send(
        self,
        method: str,
        bucket: str,
        key: str = "",
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        params = params or {}
        sent = dict(headers or {})
        sent["Authorization"] = make_authorization(
            DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, params, {"host": bucket_host(self.server, bucket)}
        )
        query = urlencode(params, quote_via=quote)
        path = f"/cos/{REGION}/{bucket}/{quote(key, safe='/')}" + (f"?{query}" if query else "")
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        try:
            connection.request(method, path, body=body if method in ("PUT", "POST") else None, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.read())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A localcloud of its own with a bucket (with CORS rules), an object and an upload with one part."""
    server = start_in_thread(Config(data_dir=tmp_path_factory.mktemp("unknown") / "data"))
    setup = Cloud(server, "")
    cors = (
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        b"</CORSRule></CORSConfiguration>"
    )
    assert setup.send("PUT", BUCKET).status == 200
    assert setup.send("PUT", BUCKET, params={"cors": ""}, body=cors).status == 200
    assert setup.send("PUT", BUCKET, KEY, body=b"keep me", headers={"Content-Type": "text/plain"}).status == 200
    started = setup.send("POST", BUCKET, UPLOAD_KEY, params={"uploads": ""})
    assert started.status == 200
    upload_id = ET.fromstring(started.body).findtext("UploadId") or ""  # noqa: S314 - localcloud's own answer
    part = setup.send("PUT", BUCKET, UPLOAD_KEY, params={"partNumber": "1", "uploadId": upload_id}, body=b"part")
    assert part.status == 200
    yield Cloud(server, upload_id)
    server.stop()


def state(cloud: Cloud) -> dict[str, Any]:
    storage = cloud.storage
    buckets = storage.list_buckets()
    objects = {}
    uploads = {}
    for bucket in buckets:
        for entry in storage.iter_listing(bucket.name, "", "", ""):
            assert entry.obj is not None
            with storage.open_object(entry.obj) as body:
                info = storage.get_object(bucket.name, entry.key)  # with its tags and ACL, which listings leave out
                assert info is not None
                objects[(bucket.name, entry.key)] = (
                    info.etag,
                    info.headers,
                    info.modified,
                    info.tags,
                    info.acl,
                    body.read(),
                )
        for upload in storage.list_uploads(bucket.name, ""):
            parts = [(p.number, p.etag, p.size, p.blob) for p in storage.list_parts(upload.upload_id)]
            uploads[upload.upload_id] = (upload.bucket, upload.key, upload.headers, parts)
    files = sorted(str(path.relative_to(storage.root)) for path in Path(storage.root).rglob("*") if path.is_file())
    return {
        "buckets": [(b.name, b.region, b.created, b.cors, b.acl, b.tags) for b in buckets],
        "objects": objects,
        "uploads": uploads,
        "files": [name for name in files if not name.startswith("meta.sqlite3")],
    }


def refused(answer: Answer, method: str, status: int = 501, code: str = "NotImplemented") -> bool:
    if answer.status != status:
        return False
    if method == "HEAD":
        return not answer.body
    root = ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer
    return root.tag == "Error" and root.findtext("Code") == code


def targets(cloud: Cloud) -> list[tuple[str, str, dict[str, str]]]:
    """(bucket, key, extra query parameters): the bucket, an object, an upload in progress, what does not exist."""
    return [
        (BUCKET, "", {}),
        (BUCKET, KEY, {}),
        (BUCKET, UPLOAD_KEY, {"uploadId": cloud.upload_id}),
        (BUCKET, UPLOAD_KEY, {"uploadId": cloud.upload_id, "partNumber": "1"}),
        (BUCKET, "photos/new.txt", {}),
        (NEW_BUCKET, "", {}),
        (NEW_BUCKET, "new.txt", {}),
    ]


def _is_an_operation(method: str, bucket: str, key: str, params: dict[str, str]) -> bool:
    try:
        classify(method, bucket, key, params)
    except UnsupportedOperation:
        return False
    return True


@pytest.mark.parametrize("name", UNKNOWN)
def test_it_changes_nothing_for_an_unknown_sub_resource(cloud: Cloud, name: str) -> None:
    before = state(cloud)
    wrong = []
    for bucket, key, extra in targets(cloud):
        for method in METHODS:
            for params in ({name: ""}, {name: "1", **extra}, {name.upper(): "", **extra}):
                if _is_an_operation(method, bucket, key, params):
                    continue
                answer = cloud.send(method, bucket, key, params, body=BODY)
                if not refused(answer, method):
                    wrong.append((method, bucket, key, params, answer.status, answer.body[:200]))
    assert wrong == []
    assert state(cloud) == before


@pytest.mark.parametrize(
    ("method", "key", "params", "headers"),
    [
        ("PUT", "", {"uploads": ""}, {}),
        ("POST", "", {}, {"Content-Type": "multipart/form-data; boundary=x"}),
        ("POST", KEY, {}, {}),
        ("PUT", KEY, {"uploadId": "x"}, {}),
        ("GET", KEY, {"uploads": ""}, {}),
        ("HEAD", "", {"cors": ""}, {}),
        ("PUT", KEY, {"cors": ""}, {}),
        ("DELETE", KEY, {"partNumber": "1"}, {}),
        ("GET", "", {"cors": "", "uploads": ""}, {}),
        ("DELETE", "", {"cors": "", "uploads": ""}, {}),
        ("POST", KEY, {}, {"x-cos-copy-source": f"{BUCKET}.cos.{REGION}.myqcloud.com/{KEY}"}),
        ("GET", "photos/copy.txt", {}, {"x-cos-copy-source": f"{BUCKET}.cos.{REGION}.myqcloud.com/{KEY}"}),
        ("DELETE", UPLOAD_KEY, {"uploadId": "<upload>"}, {"x-cos-copy-source": f"{BUCKET}/{KEY}"}),
    ],
)
def test_it_changes_nothing_for_a_request_of_no_known_shape(
    cloud: Cloud, method: str, key: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    params = {name: cloud.upload_id if value == "<upload>" else value for name, value in params.items()}
    before = state(cloud)
    answer = cloud.send(method, BUCKET, key, params, headers, body=BODY)
    assert refused(answer, method), (answer.status, answer.body[:300])
    assert state(cloud) == before


@pytest.mark.parametrize("key", ["", KEY])
def test_it_answers_a_method_cos_does_not_have_with_405_and_changes_nothing(cloud: Cloud, key: str) -> None:
    before = state(cloud)
    answer = cloud.send("PATCH", BUCKET, key, body=BODY)
    assert refused(answer, "PATCH", 405, "MethodNotAllowed"), (answer.status, answer.body[:300])
    assert state(cloud) == before


def test_it_still_serves_what_it_knows_beside_them(cloud: Cloud) -> None:
    """The refusals above are the routing's doing, not a broken server: the same signed requests without the
    unknown sub-resource work."""
    assert cloud.send("GET", BUCKET, KEY).body == b"keep me"
    assert cloud.send("GET", BUCKET, UPLOAD_KEY, {"uploadId": cloud.upload_id}).status == 200
    assert cloud.send("HEAD", BUCKET).status == 200
