"""Serving localcloud with cheroot, CherryPy's threaded WSGI server.

cheroot hands a request body to the app as it arrives: a PUT is hashed and written while it is received, and an
upload that is refused is answered before its body is sent. (waitress, used before, spooled every body to a temporary
file and called the app once it was complete.) What cheroot does not do well with large or hostile bodies is replaced
here: `_Body` reads them in pieces no larger than the app asks for, and an answer given before the body was read closes
the connection instead of reading the rest into memory (`_Request.send_headers`). Object bodies go out with sendfile()
through a `wsgi.file_wrapper` of our own (`_Gateway`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cheroot import wsgi
from cheroot.server import HeaderReader, HTTPConnection, HTTPRequest
from cheroot.workers.threadpool import ThreadPool, WorkerThread

from localcloud.app import LocalCloud
from localcloud.config import Config

log = logging.getLogger("localcloud.server")

# Each request in progress holds a thread for as long as its body takes to arrive or its answer to leave; idle
# keep-alive connections hold none (cheroot's connection manager watches them with one selector).
THREADS = 32
# Seconds a connection may stay silent, mid-request or idle between requests: a browser upload may pause (waitress'
# channel_timeout was the same).
TIMEOUT = 300
IDLE_CONNECTIONS = 100  # kept alive at most; more and answers say `Connection: close` (cheroot's default is 10)
MAX_HEADER_BYTES = 256 * 1024  # request line + headers (cheroot's default is no limit; waitress' was this)
MAX_BODY_BYTES = 5 * 1024**4
LINE_BYTES = 4096  # a chunk-size line
TRAILER_BYTES = 64 * 1024
LINGER_SECONDS = 2.0  # after an early answer, see _Connection._linger
DISCARD_BYTES = 64 * 1024


class _Body:
    """`wsgi.input`: the body read from the socket as the app asks for it, never more than asked at once.

    cheroot's own readers read a chunk whole at the size the client declares (one 1 GiB chunk is 1 GiB in memory),
    and go through cheroot's pure-Python buffered reader, which keeps extra copies (a 1 GiB PUT grew RSS by 6-8 MiB
    that way, 2 MiB reading the socket directly). A body with a Content-Length that ends early reads short, as in any
    WSGI server; reads raise OSError when the connection fails or times out, and ValueError when a chunked body is
    malformed or ends before its last chunk.
    """

    def __init__(self, conn: Any, length: int | None) -> None:
        self._reader = conn.rfile  # the connection's buffered reader: the request head came through it
        self._socket: socket.socket = conn.socket
        self._chunked = length is None
        self._left = length or 0  # of the body, or of the current chunk
        self._done = not self._chunked and self._left == 0

    @property
    def finished(self) -> bool:
        """True once the whole body (and a chunked body's trailer) was read: the next request may follow."""
        return self._done

    def read(self, size: int | None = -1) -> bytes:
        wanted = size if size is not None and size >= 0 else MAX_BODY_BYTES
        pieces: list[bytes] = []
        while wanted > 0 and not self._done:
            if self._left == 0:
                self._next_chunk()
                continue
            piece = self._receive(min(wanted, self._left))
            if not piece:
                if self._chunked:
                    raise ValueError("the chunked body ended before its last chunk")
                break
            pieces.append(piece)
            wanted -= len(piece)
            self._left -= len(piece)
            if self._left == 0:
                if self._chunked:
                    self._end_chunk()
                else:
                    self._done = True
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        # WSGI asks for it; localcloud never reads bodies by line. One byte at a time is slow but never over-reads.
        limit = size if size is not None and size >= 0 else MAX_BODY_BYTES
        line = bytearray()
        while len(line) < limit and (byte := self.read(1)):
            line += byte
            if byte == b"\n":
                break
        return bytes(line)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _receive(self, size: int) -> bytes:
        if self._reader.has_data():  # what cheroot's reader took in beyond the head: hand that out first
            data: bytes = self._reader.read1(size)
            return data
        return self._socket.recv(size)

    def _line(self, limit: int) -> bytes:
        line: bytes = self._reader.readline(limit)
        if not line.endswith(b"\n"):
            raise ValueError("the chunked body ended early, or has a line that is too long")
        return line

    def _next_chunk(self) -> None:
        line = self._line(LINE_BYTES)
        digits = line.split(b";", 1)[0].strip()
        if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
            raise ValueError(f"malformed chunk size line {line[:40]!r}")
        self._left = int(digits, 16)
        if self._left == 0:  # the last chunk; then the trailer, up to an empty line
            seen = 0
            while (trailer := self._line(LINE_BYTES)) not in (b"\r\n", b"\n"):
                seen += len(trailer)
                if seen > TRAILER_BYTES:
                    raise ValueError("the chunked body's trailer is too long")
            self._done = True

    def _end_chunk(self) -> None:
        if self._reader.read(2) != b"\r\n":
            raise ValueError("a chunk does not end with CRLF")


class _FileWrapper:
    """`wsgi.file_wrapper` (cheroot has none): an answer that is a file, from its current position, which `_Gateway`
    sends with sendfile() instead of copying it through Python in pieces."""

    def __init__(self, file: BinaryIO, block_size: int = 1024 * 1024) -> None:
        self.file = file
        self.block_size = block_size

    def __iter__(self) -> Iterator[bytes]:
        return iter(functools.partial(self.file.read, self.block_size), b"")

    def close(self) -> None:
        self.file.close()


class _Gateway(wsgi.Gateway_10):
    def get_environ(self) -> Any:  # cheroot's stub says None
        environ: dict[str, Any] = super().get_environ()  # type: ignore[no-untyped-call]
        environ["wsgi.file_wrapper"] = _FileWrapper
        return environ

    def respond(self) -> None:
        # cheroot's respond(), with sendfile() for a file of known length.
        response = self.req.server.wsgi_app(self.env, self.start_response)
        try:
            if isinstance(response, _FileWrapper) and self.remaining_bytes_out is not None:
                self.req.ensure_headers_sent()
                file = response.file
                self.req.conn.socket.sendfile(file, file.tell(), self.remaining_bytes_out)
            else:
                for chunk in response:
                    if chunk:
                        self.write(chunk)
        finally:
            self.req.ensure_headers_sent()
            if hasattr(response, "close"):
                response.close()


class _HeaderReader(HeaderReader):
    """cheroot's reader, dropping headers with underscores as waitress did (`X_Cos_Meta` cannot pose as
    `X-Cos-Meta`), and refusing a repeated Content-Length (cheroot would keep the last one). cheroot's own
    DropUnderscoreHeaderReader looks for a str in the bytes name and fails on every request."""

    def _allow_header(self, key_name: bytes) -> bool:
        return b"_" not in key_name

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict[bytes, bytes]:
        headers: dict[bytes, bytes] = _OnceHeaders()
        super().__call__(rfile, headers)
        if hdict is None:
            return dict(headers)
        hdict.update(headers)
        return hdict


class _OnceHeaders(dict[bytes, bytes]):
    def __setitem__(self, name: bytes, value: bytes) -> None:
        if name == b"Content-Length" and name in self:
            raise ValueError("Content-Length is sent more than once.")
        super().__setitem__(name, value)


class _Request(HTTPRequest):
    header_reader = _HeaderReader()

    def __init__(self, server: Any, conn: Any) -> None:
        # proxy_mode lets an absolute-form target (`GET http://host/path`) through, which a server must accept
        # (RFC 9112 §3.2.2) and waitress did; it also lets CONNECT reach the app, which refuses it.
        super().__init__(server, conn, proxy_mode=True)

    def read_request_headers(self) -> bool:
        if not super().read_request_headers():  # type: ignore[no-untyped-call]
            return False
        length = self.inheaders.get(b"Content-Length")
        if length is not None and self.chunked_read:
            # Transfer-Encoding wins, as it did with waitress; the connection closes after the answer (RFC 9112 §6.3).
            del self.inheaders[b"Content-Length"]
            self.close_connection = True
        elif length is not None and not length.isdigit():  # cheroot reads it with int(): '-1', '+5', '5_0'
            self.simple_response("400 Bad Request", "Malformed Content-Length Header.")
            return False
        return True

    def respond(self) -> None:
        # cheroot's respond(), with a `_Body` as wsgi.input.
        length = None if self.chunked_read else int(self.inheaders.get(b"Content-Length", b"0"))
        self.rfile = _Body(self.conn, length)
        self.server.gateway(self).respond()
        if self.ready:
            self.ensure_headers_sent()
        if self.chunked_write:
            self.conn.wfile.write(b"0\r\n\r\n")

    def send_headers(self) -> None:
        # The app may answer without reading the body (a refused upload). cheroot would then read all that is left in
        # one read, into memory (5 GiB for a refused 5 GiB PUT), before answering. Answer at once and close instead;
        # the connection lingers briefly so the client gets the answer (see `_Connection.close`).
        body = self.rfile
        if isinstance(body, _Body) and not body.finished:
            self.close_connection = True
            self.conn.unread_body = True
        super().send_headers()


class _Connection(HTTPConnection):
    RequestHandlerClass = _Request
    unread_body = False

    def close(self) -> None:
        if self.unread_body:
            self._linger()
        super().close()

    def _linger(self) -> None:
        """Closing a socket with unread input sends a reset, which can destroy the answer before the client reads it
        (RFC 9112 §9.6). So: end our side, then read and drop what the client still sends, for a short while."""
        scrap = bytearray(DISCARD_BYTES)
        deadline = time.monotonic() + LINGER_SECONDS
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                self.socket.settimeout(left)
                if not self.socket.recv_into(scrap):
                    break


class _Workers(ThreadPool):
    def _spawn_worker(self) -> WorkerThread:
        # Daemon threads, as waitress' were: a process that never calls stop() (a failing test) can still exit.
        worker = WorkerThread(self.server)  # type: ignore[no-untyped-call]
        worker.name = f"localcloud {worker.name}"
        worker.daemon = True
        worker.start()
        return worker

    @staticmethod
    def _force_close(conn: Any) -> None:
        # At stop(), for a request still in progress after `shutdown_timeout`. cheroot shuts only the reading side,
        # which does not wake a worker blocked sending an answer to a client that stopped reading.
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.socket.shutdown(socket.SHUT_RDWR)


class _Server(wsgi.Server):
    ConnectionClass = _Connection
    max_request_header_size = MAX_HEADER_BYTES
    max_request_body_size = MAX_BODY_BYTES
    keep_alive_conn_limit = IDLE_CONNECTIONS

    def __init__(self, app: LocalCloud, host: str, port: int) -> None:
        # request_queue_size is the listen backlog: cheroot's default is 5, waitress' was 1024.
        super().__init__(
            (host, port), app, server_name="localcloud", request_queue_size=1024, timeout=TIMEOUT, shutdown_timeout=1
        )
        self.requests = _Workers(self, min=THREADS, max=THREADS)
        self.gateway = _Gateway

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        # cheroot writes these to stderr.
        log.log(level, "%s", msg, exc_info=traceback)


def _create(app: LocalCloud, host: str, port: int) -> _Server:
    """Bound and listening (port 0: a free one), not yet serving."""
    server = _Server(app, host, port)
    server.prepare()
    return server


@dataclass
class RunningServer:
    app: LocalCloud
    host: str
    port: int
    _server: _Server
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        # Stops accepting, closes idle keep-alive connections, gives requests in progress `shutdown_timeout` and then
        # shuts their sockets. A second call does nothing.
        try:
            self._server.stop()
        except Exception:
            log.exception("stopping localcloud")
        self._thread.join(timeout=5)


def start_in_thread(config: Config, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start localcloud in a background thread (tests, runserver); port 0 picks a free port."""
    app = LocalCloud(config)
    server = _create(app, host, port)
    thread = threading.Thread(target=server.serve, name="localcloud", daemon=True)
    thread.start()
    return RunningServer(app, host, server.bind_addr[1], server, thread)


def serve(config: Config) -> None:
    """Serve in the foreground until interrupted."""
    server = _create(LocalCloud(config), config.host, config.port)
    try:
        server.serve()
    finally:
        server.stop()
