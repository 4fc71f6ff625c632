"""A localcloud of its own for the hostile-input tests, and a raw HTTP client that signs with the root keys.

Every answer must be a real status below 500 (or 501 NotImplemented), and every error COS's XML document
(`<Error><Code/><Message/><Resource/><RequestId/>`) with `x-cos-request-id`: `assert_cos` checks both.
"""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization

REGION = "ap-guangzhou"
BUCKET = f"hostile-{DEFAULT_APPID}"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# What HTTP can carry in a header value (latin-1, no line breaks or NUL).
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=200)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Cloud:
    server: RunningServer
    sandbox: Path  # holds data/ and nothing else

    @property
    def data(self) -> Path:
        return self.sandbox / "data"

    def request(
        self,
        method: str,
        key: str = "",
        *,
        raw_path: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        sign: bool = True,
        bucket: str = BUCKET,
    ) -> Answer:
        path = raw_path if raw_path is not None else f"/cos/{REGION}/{bucket}/{quote(key, safe='/')}"
        query = urlencode(params or {}, quote_via=quote)
        sent = dict(headers or {})
        if sign and "Authorization" not in sent:
            # Every parameter signed, as the SDKs sign them: localcloud ignores unsigned ones.
            # The bucket's virtual host as `host`: a path-style signature must bind its bucket.
            host = {"host": f"{bucket}.cos.{REGION}.localhost"}
            sent["Authorization"] = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, params, host)
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        try:
            connection.putrequest(method, path + (f"?{query}" if query else ""), skip_accept_encoding=True)
            for name, value in sent.items():
                connection.putheader(name, value.encode("latin-1"))
            if body or method in {"PUT", "POST"}:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def files(self) -> set[str]:
        return {str(p.relative_to(self.sandbox)) for p in self.sandbox.rglob("*")}


def assert_cos(answer: Answer, *allowed: int) -> str | None:
    """Below 500 (or 501 NotImplemented for an operation the emulator does not offer); an error is COS's XML document
    naming its request id. Returns the error code, if any."""
    assert answer.status < 500 or answer.status == 501, (answer.status, answer.body[:500])
    if allowed:
        assert answer.status in allowed, (answer.status, answer.body[:500])
    request_id = answer.headers.get("x-cos-request-id")
    assert request_id, answer.headers
    if answer.status < 400:
        return None
    if not answer.body:  # HEAD: status and headers only
        return None
    assert answer.headers.get("content-type") == "application/xml", answer.headers
    root = ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer
    assert root.tag == "Error"
    fields = {child.tag: (child.text or "") for child in root}
    for name in ("Code", "Message", "Resource", "RequestId"):
        assert fields.get(name), (name, answer.body[:500])
    assert fields["RequestId"] == request_id
    if answer.status == 501:
        assert fields["Code"] == "NotImplemented"
    return fields["Code"]


def layout_is_sane(cloud: Cloud) -> None:
    """Only localcloud's own files, under data/: bodies by random id, never by key."""
    for name in cloud.files():
        parts = Path(name).parts
        assert parts[0] == "data", name
        if len(parts) > 3 and parts[1] == "cos" and parts[2] in {"blobs", "tmp"}:
            leaf = parts[-1]
            assert all(c in "0123456789abcdef" for c in leaf), name
            assert len(parts) <= 5, name


def upload_id(cloud: Cloud, key: str) -> str:
    answer = cloud.request("POST", key, params={"uploads": ""})
    assert answer.status == 200, answer.body
    root = ET.fromstring(answer.body)  # noqa: S314 - localcloud's own answer
    return root.findtext("UploadId") or ""


def start_cloud(tmp_path_factory: pytest.TempPathFactory, name: str, known: bytes) -> Cloud:
    """A localcloud of its own, whose data folder sits alone in a sandbox we can list before and after, with the
    bucket BUCKET holding `known.txt`."""
    sandbox = tmp_path_factory.mktemp(name)
    cloud = Cloud(start_in_thread(Config(data_dir=sandbox / "data")), sandbox)
    assert cloud.request("PUT", "").status == 200  # the bucket
    assert cloud.request("PUT", "known.txt", body=known).status == 200
    return cloud
