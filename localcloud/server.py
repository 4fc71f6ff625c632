"""Serving localcloud with waitress, a real threaded WSGI server."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from localcloud.app import LocalCloud
from localcloud.config import Config

THREADS = 16
RECV_BYTES = 512 * 1024


@dataclass
class RunningServer:
    app: LocalCloud
    host: str
    port: int
    _server: object
    _thread: threading.Thread
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        # Idle keep-alive connections (SDK sessions) would keep waitress' loop alive until channel_timeout: ask them
        # to close, then wake the loop, which closes every socket itself (closing them from this thread while the
        # loop sits in select() would hand it a dead descriptor).
        for channel in list(self._server.active_channels.values()):  # type: ignore[attr-defined]
            channel.will_close = True
        self._stopping.set()
        # The loop may already have seen the flag and closed everything, the trigger included: then it is done.
        with contextlib.suppress(OSError):
            self._server.pull_trigger()  # type: ignore[attr-defined]
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown()  # type: ignore[attr-defined]


class _ExactHeaderTask(WSGITask):
    """waitress writes header names Capitalized-Like-This; COS sends `ETag` and `x-cos-request-id`, and
    cos-python-sdk-v5 copies response headers into a plain dict (`response["ETag"]`), so keep the app's spelling."""

    def build_response_header(self) -> bytes:
        spelling = {"-".join(p.capitalize() for p in name.split("-")): name for name, _ in self.response_headers}
        lines = super().build_response_header().split(b"\r\n")
        for index, line in enumerate(lines[1:], start=1):
            name, sep, rest = line.partition(b":")
            original = spelling.get(name.decode("latin-1")) if sep else None
            if original is not None:
                lines[index] = original.encode("latin-1") + sep + rest
        return b"\r\n".join(lines)


class _Channel(HTTPChannel):
    task_class = _ExactHeaderTask


def _create(app: LocalCloud, host: str, port: int) -> object:
    # Large bodies stream through waitress' spooled buffers to our handlers; they are never held whole in memory.
    server = _create_server(app, host, port)
    server.channel_class = _Channel  # type: ignore[attr-defined]
    return server


def _create_server(app: LocalCloud, host: str, port: int) -> object:
    return create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        channel_timeout=300,
        max_request_body_size=5 * 1024**4,
        # waitress reads sockets 8 KiB at a time by default: 131,072 trips through its event loop per GiB, the
        # bottleneck of a PUT. 512 KiB reads cut that 64-fold; each channel holds at most one such read at a time.
        recv_bytes=RECV_BYTES,
        ident="localcloud",
        expose_tracebacks=False,
    )


def start_in_thread(config: Config, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start localcloud in a background thread (tests, runserver); port 0 picks a free port."""
    app = LocalCloud(config)
    server = _create(app, host, port)
    actual_port = server.effective_port  # type: ignore[attr-defined]
    stopping = threading.Event()
    thread = threading.Thread(target=_run_until, args=(server, stopping), name="localcloud", daemon=True)
    thread.start()
    return RunningServer(app, host, actual_port, server, thread, stopping)


def _run_until(server: Any, stopping: threading.Event) -> None:
    """waitress' own loop, one poll at a time, until asked to stop; then every socket is closed in this thread."""
    while not stopping.is_set():
        server.asyncore.loop(
            timeout=server.adj.asyncore_loop_timeout,
            map=server._map,
            use_poll=server.adj.asyncore_use_poll,
            count=1,
        )
    server.asyncore.close_all(server._map)


def serve(config: Config) -> None:
    """Serve in the foreground until interrupted."""
    app = LocalCloud(config)
    server = _create(app, config.host, config.port)
    server.run()  # type: ignore[attr-defined]
