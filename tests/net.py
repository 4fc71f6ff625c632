"""Sockets and child processes on loopback, for the tests and the benchmarks alike.

The one module of `tests/` that `bench/` imports: standard library only (no Django, no fixtures), so a benchmark can
use it without pulling in the test suite.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import requests


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick), for a server started next."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on the port (a server has finished starting)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds (a hung server must not hang the run)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def static_site(files: Mapping[str, tuple[bytes, str]]) -> Iterator[str]:
    """A tiny web server on a free loopback port answering GET for `files` (path -> (body, content type)); yields its
    origin. Browser tests load test pages from it, so the page's origin is one a bucket's CORS rule can name."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, content_type = files.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def via_loopback(url: str) -> tuple[str, dict[str, str]]:
    """A `http://<name>.localhost:<port>/...` URL as Chromium sends it: to the loopback address, with the name as
    Host. glibc (so Python) does not resolve *.localhost; Chromium and Firefox do it themselves.

    Returns the URL to connect to and the Host header: `requests.get(target, headers=host)`.
    """
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith(".localhost"):
        return url, {}
    netloc = f"127.0.0.1:{parts.port}" if parts.port else "127.0.0.1"
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": parts.netloc}


def loopback_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 10) -> requests.Response:
    """requests.get for a URL a browser would follow, *.localhost included (via_loopback)."""
    target, host = via_loopback(url)
    return requests.get(target, headers={**host, **(headers or {})}, timeout=timeout)
