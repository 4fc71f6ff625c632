"""localcloud's HTTP server (cheroot, localcloud/server.py) over raw sockets: bodies streamed to the app and never held
whole, refused uploads answered before their body arrives, chunked bodies, 100-continue, header names as the app
spells them, files sent by range, malformed requests, idle connections, and a stop that does not wait for clients."""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import THREADS, RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization
from tests.localcloud.conftest import REGION, md5_hex, parse_xml

MiB = 1024 * 1024
GiB = 1024 * MiB
BLOCK = bytes(range(256)) * (MiB // 256)


def connect(server: RunningServer, timeout: float = 10) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=timeout)


def head(method: str, bucket: str, key: str, headers: dict[str, str], *, secret_key: str = DEFAULT_SECRET_KEY) -> bytes:
    """Request line and headers, signed with the root SecretId (and `secret_key`)."""
    auth = make_authorization(
        DEFAULT_SECRET_ID, secret_key, method, key, headers={"host": f"{bucket}.cos.{REGION}.localhost"}
    )
    lines = [f"{method} /cos/{REGION}/{bucket}/{key} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: {auth}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock: socket.socket, method: str = "GET") -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response


def peak_rss_growth_mib(action: Callable[[], None]) -> float:
    """Peak RSS of this process (localcloud runs in it) during `action`, above what it was before."""
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _status_kib("VmRSS")
    action()
    return (_status_kib("VmHWM") - before) / 1024


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(field)


def chunked(pieces: list[bytes], trailer: str = "") -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + f"0\r\n{trailer}\r\n".encode()


# ----------------------------------------------------------------------------------------------------- answers


def test_it_sends_header_names_as_the_app_spells_them(localcloud: RunningServer, bucket: str) -> None:
    with connect(localcloud) as sock:
        sock.sendall(head("PUT", bucket, "spelling.txt", {"Content-Length": "5"}) + b"hello")
        response = answer(sock, "PUT")
        response.read()
    names = [name for name, _ in response.getheaders()]
    assert response.status == 200
    assert "ETag" in names  # cos-python-sdk-v5 reads response["ETag"] from a plain dict
    assert "x-cos-request-id" in names
    assert response.getheader("ETag") == f'"{md5_hex(b"hello")}"'


def test_it_answers_a_refused_upload_before_its_body_arrives(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    """A 5 GiB PUT with a wrong signature: the 403 comes after 1 MiB of body, the rest is never read into memory,
    and the connection is ended so the client stops sending."""
    request = head("PUT", bucket, "refused.bin", {"Content-Length": str(5 * GiB)}, secret_key="wrong")

    def refuse() -> None:
        with connect(localcloud) as sock:
            sock.sendall(request + BLOCK)
            started = time.perf_counter()
            response = answer(sock, "PUT")
            error = parse_xml(response.read())
            assert time.perf_counter() - started < 5
            assert response.status == 403
            assert error.findtext("Code") == "SignatureDoesNotMatch"
            assert response.getheader("Connection") == "close"
            assert sock.recv(1) == b""  # localcloud ended its side at once

    assert peak_rss_growth_mib(refuse) < 64
    assert not root.object_exists(Bucket=bucket, Key="refused.bin")


def test_it_gives_an_sdk_that_sends_the_whole_body_first_the_error(localcloud: RunningServer, bucket: str) -> None:
    """cos-python-sdk-v5 (requests) sends the whole body before it reads an answer: localcloud reads and drops what
    follows a refusal for a moment, then closes; the SDK still reads COS's error, not a connection error."""
    from qcloud_cos.cos_exception import CosServiceError

    from tests.cos_sdk import cos_client

    class Endless:
        """Far more bytes than localcloud reads and drops before it closes."""

        def __init__(self) -> None:
            self.left = 64 * GiB

        def __len__(self) -> int:
            return self.left

        def read(self, size: int = -1) -> bytes:
            size = min(size if size > 0 else MiB, MiB, self.left)
            self.left -= size
            return BLOCK[:size]

    wrong = cos_client(localcloud, DEFAULT_SECRET_ID, "wrong")
    started = time.perf_counter()
    with pytest.raises(CosServiceError) as excinfo:
        wrong.put_object(Bucket=bucket, Key="endless.bin", Body=Endless())
    assert excinfo.value.get_status_code() == 403
    assert excinfo.value.get_error_code() == "SignatureDoesNotMatch"
    assert time.perf_counter() - started < 30


def test_it_sends_exactly_the_range_asked_from_a_file_and_keeps_the_connection(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    """Object bodies go out with sendfile(): from the range's first byte, Content-Length bytes, nothing after."""
    data = hashlib.sha256(b"seed").digest() * (3 * MiB // 32)
    root.put_object(Bucket=bucket, Key="ranged.bin", Body=data)
    with connect(localcloud) as sock:
        sock.sendall(head("GET", bucket, "ranged.bin", {"Range": "bytes=1000-2097151"}))
        part = answer(sock)
        assert part.status == 206
        assert part.read() == data[1000:2097152]
        sock.sendall(head("GET", bucket, "ranged.bin", {}))
        whole = answer(sock)
        assert whole.status == 200
        assert whole.read() == data


# ------------------------------------------------------------------------------------------------------- bodies


def test_it_streams_a_chunked_upload_in_pieces_and_keeps_the_connection(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    """One 128 MiB chunk is read in pieces, not whole (cheroot's own reader would hold all of it)."""
    big = BLOCK * 128
    pieces = [b"small", big, b"x" * 3000]
    data = b"".join(pieces)
    request = head("PUT", bucket, "chunked.bin", {"Transfer-Encoding": "chunked"})
    body = chunked(pieces, trailer="X-Checksum: none\r\n")

    def upload() -> None:
        with connect(localcloud, timeout=60) as sock:
            sock.sendall(request)
            view = memoryview(body)
            for offset in range(0, len(body), MiB):
                sock.sendall(view[offset : offset + MiB])
            response = answer(sock, "PUT")
            response.read()
            assert response.status == 200
            assert response.getheader("ETag") == f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
            assert response.getheader("Connection") is None  # the body and its trailer were read: kept alive
            sock.sendall(head("HEAD", bucket, "chunked.bin", {}))
            again = answer(sock, "HEAD")
            assert again.status == 200
            assert again.getheader("Content-Length") == str(len(data))

    assert peak_rss_growth_mib(upload) < 64
    got = root.get_object(Bucket=bucket, Key="chunked.bin")["Body"].get_raw_stream().read()
    assert got == data


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", "malformed chunk size"),
        (b"5\r\nhelloXX0\r\n\r\n", "does not end with CRLF"),
        (b"5;" + b"e" * 5000 + b"\r\nhello\r\n0\r\n\r\n", "too long"),
    ],
    ids=["size", "chunk-end", "long-line"],
)
def test_it_refuses_a_malformed_chunked_upload_and_keeps_nothing(
    localcloud: RunningServer, root: CosS3Client, bucket: str, body: bytes, reason: str
) -> None:
    with connect(localcloud) as sock:
        sock.sendall(head("PUT", bucket, "malformed.bin", {"Transfer-Encoding": "chunked"}) + body)
        response = answer(sock, "PUT")
        error = parse_xml(response.read())
    assert response.status == 400
    assert error.findtext("Code") == "IncompleteBody"
    assert reason in (error.findtext("Message") or "")
    assert response.getheader("Connection") == "close"
    assert not root.object_exists(Bucket=bucket, Key="malformed.bin")


def test_it_keeps_nothing_of_a_chunked_upload_cut_short(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    root.put_object(Bucket=bucket, Key="cut.bin", Body=b"old and whole")
    with connect(localcloud) as sock:
        sock.sendall(head("PUT", bucket, "cut.bin", {"Transfer-Encoding": "chunked"}) + b"100000\r\n" + BLOCK[:4096])
        sock.shutdown(socket.SHUT_WR)
        response = answer(sock, "PUT")
        error = parse_xml(response.read())
    assert response.status == 400
    assert error.findtext("Code") == "IncompleteBody"
    assert root.get_object(Bucket=bucket, Key="cut.bin")["Body"].get_raw_stream().read() == b"old and whole"


def test_it_takes_the_chunked_body_when_a_content_length_is_sent_too(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    """What requests sends for a generator with a Content-Length header; the connection closes after the answer."""
    request = head("PUT", bucket, "both.bin", {"Content-Length": "3", "Transfer-Encoding": "chunked"})
    with connect(localcloud) as sock:
        sock.sendall(request + chunked([b"hello", b" world"]))
        response = answer(sock, "PUT")
        response.read()
    assert response.status == 200
    assert response.getheader("Connection") == "close"
    assert root.get_object(Bucket=bucket, Key="both.bin")["Body"].get_raw_stream().read() == b"hello world"


def test_it_answers_100_continue_before_the_body(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    with connect(localcloud) as sock:
        sock.sendall(head("PUT", bucket, "continue.txt", {"Content-Length": "5", "Expect": "100-continue"}))
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        response = answer(sock, "PUT")
        response.read()
    assert response.status == 200
    assert root.get_object(Bucket=bucket, Key="continue.txt")["Body"].get_raw_stream().read() == b"hello"


# -------------------------------------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"GET /_localcloud/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"PUT /_localcloud/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"PUT /_localcloud/health HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
        b"PUT /_localcloud/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"get /_localcloud/health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /_localcloud/health HTTP/1.1\nHost: x\n\n",
    ],
    ids=["request-line", "header-line", "negative-length", "signed-length", "two-lengths", "lower-case", "bare-lf"],
)
def test_it_answers_malformed_requests_with_400_and_closes(localcloud: RunningServer, request_bytes: bytes) -> None:
    with connect(localcloud) as sock:
        sock.sendall(request_bytes)
        response = answer(sock)
        response.read()
        assert response.status == 400
        assert sock.recv(1) == b""
    with connect(localcloud) as sock:  # and it still serves
        sock.sendall(b"GET /_localcloud/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer(sock).status == 200


def test_it_accepts_an_absolute_form_request_target(localcloud: RunningServer, bucket: str) -> None:
    request = head("PUT", bucket, "absolute.txt", {"Content-Length": "2"}) + b"hi"
    request = request.replace(b"PUT /cos/", f"PUT {localcloud.url}/cos/".encode(), 1)
    with connect(localcloud) as sock:
        sock.sendall(request)
        response = answer(sock, "PUT")
        response.read()
    assert response.status == 200
    assert response.getheader("ETag") == f'"{md5_hex(b"hi")}"'


def test_it_refuses_headers_over_256_kib(localcloud: RunningServer) -> None:
    with connect(localcloud) as sock:
        sock.sendall(b"GET /_localcloud/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (300 * 1024) + b"\r\n\r\n")
        response = answer(sock)
        response.read()
        assert 400 <= response.status < 500
        assert sock.recv(1) == b""


def test_it_drops_header_names_with_underscores(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    """Like waitress: `x_cos_meta_role` would otherwise arrive as x-cos-meta-role."""
    request = head("PUT", bucket, "underscore.txt", {"Content-Length": "2", "x_cos_meta_role": "admin"})
    with connect(localcloud) as sock:
        sock.sendall(request + b"hi")
        assert answer(sock, "PUT").status == 200
    assert "x-cos-meta-role" not in root.head_object(Bucket=bucket, Key="underscore.txt")


# --------------------------------------------------------------------------------------- connections and stop


def test_idle_keep_alive_connections_do_not_hold_threads(localcloud: RunningServer) -> None:
    health = b"GET /_localcloud/health HTTP/1.1\r\nHost: x\r\n\r\n"
    idle = [connect(localcloud) for _ in range(THREADS + 8)]
    try:
        for sock in idle:
            sock.sendall(health)
            response = answer(sock)
            response.read()
            assert response.getheader("Connection") is None  # kept alive
        started = time.perf_counter()
        with connect(localcloud) as fresh:
            fresh.sendall(health)
            assert answer(fresh).status == 200
        assert time.perf_counter() - started < 5
        idle[0].sendall(health)  # an idle one is still served
        assert answer(idle[0]).status == 200
    finally:
        for sock in idle:
            sock.close()


def test_it_stops_quickly_with_idle_and_busy_connections(tmp_path: Path) -> None:
    server = start_in_thread(Config(data_dir=tmp_path / "data"))
    bucket = f"stop-{DEFAULT_APPID}"
    with connect(server) as idle, connect(server) as busy:
        idle.sendall(head("PUT", bucket, "", {"Content-Length": "0"}))
        answer(idle, "PUT").read()
        # An upload whose body stops coming: its thread waits on the socket.
        busy.sendall(head("PUT", bucket, "stalled.bin", {"Content-Length": "100"}) + b"ab")
        deadline = time.monotonic() + 10
        while "cos:PutObject" not in server.app.stats.snapshot() and time.monotonic() < deadline:
            time.sleep(0.01)  # until the upload has reached the app
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 4
        server.stop()  # again: nothing to do
        assert idle.recv(1) == b""
    with pytest.raises(ConnectionRefusedError):
        connect(server, timeout=2).close()
