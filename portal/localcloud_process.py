"""A local localcloud as a child process: started for LOCALCLOUD_URL when nothing listens there, and stopped.

`runserver` keeps one for as long as it runs; `bootstrap_demo` starts one only for the time it takes to set up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from io import TextIOBase
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

STARTUP_TIMEOUT = 15.0


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
    out.write(
        f"Started localcloud (pid {process.pid}) at {settings.LOCALCLOUD_URL} with data in {settings.LOCALCLOUD_DATA};"
        " it stops when runserver does.\n"
    )
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
