"""A local localcloud as a child process: started for LOCALCLOUD_URL when nothing listens there, and stopped.

`runserver` keeps one for as long as it runs, restarted by a Supervisor when it dies; `bootstrap_demo` starts one
only for the time it takes to set up.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from io import TextIOBase
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

STARTUP_TIMEOUT = 15.0

logger = logging.getLogger(__name__)


class LocalcloudDidNotStart(RuntimeError):
    """The child exited or did not listen in time; the message says which."""


def address() -> tuple[str, int]:
    """(host, port) of LOCALCLOUD_URL."""
    url = urlsplit(settings.LOCALCLOUD_URL)
    return url.hostname or "127.0.0.1", url.port or 9100


def is_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start(out: TextIOBase) -> subprocess.Popen[bytes] | None:
    """Start `python -m localcloud` for LOCALCLOUD_URL unless something already listens there (then None)."""
    host, port = address()
    if is_listening(host, port):
        out.write(f"localcloud is already listening at {settings.LOCALCLOUD_URL}; using it.\n")
        return None
    process = spawn()
    out.write(
        f"Started localcloud (pid {process.pid}) at {settings.LOCALCLOUD_URL} with data in {settings.LOCALCLOUD_DATA};"
        " it stops when runserver does.\n"
    )
    return process


def spawn() -> subprocess.Popen[bytes]:
    """`python -m localcloud` on LOCALCLOUD_URL's port with the settings' data folder, once it listens."""
    host, port = address()
    env = {
        **os.environ,
        # Keys travel in the environment, not argv, so `ps` does not show them.
        "LOCALCLOUD_SECRET_ID": settings.LOCALCLOUD_SECRET_ID,
        "LOCALCLOUD_SECRET_KEY": settings.LOCALCLOUD_SECRET_KEY,
        "LOCALCLOUD_APPID": settings.LOCALCLOUD_APPID,
        "LOCALCLOUD_DATA": str(settings.LOCALCLOUD_DATA),
    }
    roles_file = getattr(settings, "LOCALCLOUD_ROLES_FILE", None)
    if roles_file:
        env["LOCALCLOUD_ROLES_FILE"] = str(roles_file)
    command = [sys.executable, "-m", "localcloud", "--host", host, "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=Path(settings.BASE_DIR))  # noqa: S603 - our own module
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not is_listening(host, port):
        if process.poll() is not None:
            raise LocalcloudDidNotStart(
                f"localcloud exited with status {process.returncode} before listening on {host}:{port}"
            )
        if time.monotonic() > deadline:
            stop(process)
            raise LocalcloudDidNotStart(
                f"localcloud did not start listening on {host}:{port} within {STARTUP_TIMEOUT:.0f}s"
            )
        time.sleep(0.1)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Supervisor:
    """Restarts the localcloud child when it dies (a non-zero exit: a crash, a `kill -9`), on the same port and data
    folder, so that costs a second rather than a runserver restart.

    A child that keeps dying is not restarted forever: after `max_restarts` restarts within `window` seconds the
    supervisor gives up and says so, since something (a bad data folder, a taken port) needs a person.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        *,
        respawn: Callable[[], subprocess.Popen[bytes]] = spawn,
        poll_interval: float = 0.5,
        max_restarts: int = 5,
        window: float = 60.0,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.process = process
        self.respawn = respawn
        self.poll_interval = poll_interval
        self.max_restarts = max_restarts
        self.window = window
        self.backoff = backoff
        self.clock = clock
        self.gave_up = False
        self._restarts: deque[float] = deque()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="localcloud-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, then stop the child (in that order, so the supervisor cannot restart what we stop)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STARTUP_TIMEOUT + 5)
        with self._lock:
            stop(self.process)

    def wait(self, timeout: float | None = None) -> None:
        """Until the supervisor has stopped watching (it gave up, or stop() was called)."""
        self._thread.join(timeout)

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            status = self.process.poll()
            if status is None:
                continue
            if status == 0:
                # It was asked to stop (SIGINT or SIGTERM: a Ctrl+C reaches the whole process group): not a crash.
                logger.warning("localcloud at %s stopped cleanly; not restarting it", settings.LOCALCLOUD_URL)
                return
            if not self._restart(status):
                return

    def _restart(self, status: int) -> bool:
        """Restart the dead child after a backoff; False when the supervisor stops watching."""
        now = self.clock()
        while self._restarts and now - self._restarts[0] > self.window:
            self._restarts.popleft()
        if len(self._restarts) >= self.max_restarts:
            self.gave_up = True
            logger.error(
                "localcloud at %s died again (status %s) after %d restarts within %.0fs: NOT restarting it. "
                "Fix what kills it, then restart runserver or run `python manage.py localcloud`.",
                settings.LOCALCLOUD_URL, status, len(self._restarts), self.window,
            )  # fmt: skip
            return False
        delay = self.backoff * 2 ** len(self._restarts)
        self._restarts.append(now)
        logger.warning(
            "localcloud (pid %s) at %s exited with status %s; restarting it in %gs (restart %d of at most %d "
            "within %.0fs)",
            self.process.pid, settings.LOCALCLOUD_URL, status, delay, len(self._restarts), self.max_restarts,
            self.window,
        )  # fmt: skip
        if self._stopping.wait(delay):
            return False
        host, port = address()
        if is_listening(host, port):
            logger.warning("something else now listens at %s; using it, no longer supervising", settings.LOCALCLOUD_URL)
            return False
        try:
            with self._lock:
                if self._stopping.is_set():
                    return False
                self.process = self.respawn()
        except LocalcloudDidNotStart as exc:
            logger.warning("localcloud did not restart: %s", exc)
            return True  # the next poll sees the dead child and counts another restart
        logger.warning("localcloud restarted (pid %s) at %s", self.process.pid, settings.LOCALCLOUD_URL)
        return True
