"""`runserver` that, in local mode, also starts localcloud when nothing listens at LOCALCLOUD_URL.

The emulator runs as a child process of the outer (autoreloading) runserver process only, so code reloads do not
restart it and its data stays put; it is terminated when runserver exits. In tencent mode this is plain runserver.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserverCommand
from django.core.management.base import CommandError

STARTUP_TIMEOUT = 15.0


def is_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_localcloud(out: TextIO) -> subprocess.Popen[bytes] | None:
    """Start `python -m localcloud` for LOCALCLOUD_URL unless something already listens there."""
    url = urlsplit(settings.LOCALCLOUD_URL)
    host, port = url.hostname or "127.0.0.1", url.port or 9100
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
            raise CommandError(f"localcloud exited with status {process.returncode} before listening on {host}:{port}")
        if time.monotonic() > deadline:
            stop_localcloud(process)
            raise CommandError(f"localcloud did not start listening on {host}:{port} within {STARTUP_TIMEOUT:.0f}s")
        time.sleep(0.1)
    out.write(
        f"Started localcloud (pid {process.pid}) at {settings.LOCALCLOUD_URL} with data in {settings.LOCALCLOUD_DATA};"
        " it stops when runserver does.\n"
    )
    return process


def stop_localcloud(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Command(StaticfilesRunserverCommand):
    help = (
        "Starts a lightweight web server for development and, in local mode (CLOUD_BACKEND=local), localcloud at "
        "LOCALCLOUD_URL when nothing listens there yet."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # RUN_MAIN is set in the autoreloader's child: only the outer process owns localcloud.
        if settings.LOCAL_MODE and os.environ.get("RUN_MAIN") != "true":
            process = start_localcloud(self.stdout)
            if process is not None:
                atexit.register(stop_localcloud, process)
                if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                    # Turn SIGTERM into a normal exit so atexit runs (the autoreloader installs the same handler).
                    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        super().handle(*args, **options)
