"""Serving localcloud with waitress, a real threaded WSGI server."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from waitress.server import create_server

from localcloud.app import LocalCloud
from localcloud.config import Config

THREADS = 16


@dataclass
class RunningServer:
    app: LocalCloud
    host: str
    port: int
    _server: object
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        # Idle keep-alive connections (SDK sessions) would keep waitress' loop alive until channel_timeout: ask them
        # to close, so the loop ends within one poll timeout (1 s) of close().
        for channel in list(self._server.active_channels.values()):  # type: ignore[attr-defined]
            channel.will_close = True
        self._server.pull_trigger()  # type: ignore[attr-defined]
        self._server.close()  # type: ignore[attr-defined]
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown()  # type: ignore[attr-defined]


def _create(app: LocalCloud, host: str, port: int) -> object:
    # Large bodies stream through waitress' spooled buffers to our handlers; they are never held whole in memory.
    return create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        channel_timeout=300,
        max_request_body_size=5 * 1024**4,
        ident="localcloud",
        expose_tracebacks=False,
    )


def start_in_thread(config: Config, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start localcloud in a background thread (tests, runserver); port 0 picks a free port."""
    app = LocalCloud(config)
    server = _create(app, host, port)
    actual_port = server.effective_port  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, name="localcloud", daemon=True)  # type: ignore[attr-defined]
    thread.start()
    return RunningServer(app, host, actual_port, server, thread)


def serve(config: Config) -> None:
    """Serve in the foreground until interrupted."""
    app = LocalCloud(config)
    server = _create(app, config.host, config.port)
    server.run()  # type: ignore[attr-defined]
