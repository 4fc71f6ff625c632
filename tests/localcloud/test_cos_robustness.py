"""Whatever arrives, localcloud answers with COS's XML error document, never a 500 or a traceback."""

from __future__ import annotations

import socket
from urllib.parse import quote, unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.localcloud.conftest import REGION, parse_xml

METHODS = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"])
QUERY_NAMES = st.sampled_from(
    ["uploads", "uploadId", "partNumber", "cors", "prefix", "delimiter", "marker", "max-keys", "encoding-type",
     "max-parts", "part-number-marker", "key-marker", "upload-id-marker", "max-uploads", "response-content-type",
     "q-sign-algorithm", "q-ak", "x-cos-security-token", "acl"]
)  # fmt: skip
QUERY_VALUES = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
PATH_BYTES = st.binary(max_size=24).map(lambda b: "".join(f"%{byte:02X}" for byte in b))
HEADER_NAMES = st.sampled_from(
    ["Range", "Content-MD5", "Content-Type", "x-cos-acl", "Origin", "Access-Control-Request-Method", "Authorization"]
)
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


def send(server: RunningServer, request: bytes) -> tuple[int, bytes]:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=METHODS,
    path=PATH_BYTES,
    query=st.dictionaries(QUERY_NAMES, QUERY_VALUES, max_size=4),
    headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=3),
    body=st.binary(max_size=64),
    signed=st.booleans(),
)
def test_it_never_answers_a_server_error(
    localcloud: RunningServer,
    bucket: str,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    signed: bool,
) -> None:
    host = f"{localcloud.host}:{localcloud.port}"
    target = f"/cos/{REGION}/{bucket}/{path}"
    query_string = "&".join(f"{quote(k)}={quote(v)}" if v else quote(k) for k, v in query.items())
    lines = [f"{method} {target}{'?' + query_string if query_string else ''} HTTP/1.1", f"Host: {host}"]
    if signed and "Authorization" not in headers:
        key = unquote(path, errors="replace")
        headers["Authorization"] = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, query)
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    status, answer = send(localcloud, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    assert status < 500 or status == 501, answer  # 501: a COS request localcloud does not emulate (e.g. ?acl)
    if status >= 400 and method != "HEAD":
        try:
            error = parse_xml(answer)
        except Exception as exc:
            raise AssertionError(answer) from exc
        assert error.tag == "Error"
        for field in ("Code", "Message", "Resource", "RequestId"):
            assert error.findtext(field), (field, answer)
