"""runserver's localcloud child comes back when it dies; one that keeps dying is given up on, loudly."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from portal import localcloud_process
from tests.localcloud.test_cli import Process, clean_env, processes  # noqa: F401 - the fixture
from tests.net import free_port, listening


def health(port: int, timeout: float) -> requests.Response | None:
    """localcloud's health answer once it gives one, or None after `timeout` seconds of asking."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(f"http://127.0.0.1:{port}/_localcloud/health", timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
    return None


def test_it_restarts_a_localcloud_child_killed_under_runserver(tmp_path: Path, processes: list[Process]) -> None:  # noqa: F811
    localcloud_port, portal_port = free_port(), free_port()
    env = clean_env(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        CLOUD_BACKEND="local",
        LOCALCLOUD_URL=f"http://127.0.0.1:{localcloud_port}",
        LOCALCLOUD_DATA=str(tmp_path / "data"),
    )
    runserver = Process(["manage.py", "runserver", f"127.0.0.1:{portal_port}"], env)
    processes.append(runserver)
    started = runserver.wait_for("Started localcloud (pid")
    runserver.wait_for(f"Starting development server at http://127.0.0.1:{portal_port}/")
    first = int(re.findall(r"Started localcloud \(pid (\d+)\)", started)[-1])
    assert requests.get(f"http://127.0.0.1:{localcloud_port}/_localcloud/health", timeout=5).status_code == 200

    os.kill(first, signal.SIGKILL)

    restarted = runserver.wait_for("localcloud restarted (pid", timeout=30)
    assert f"localcloud (pid {first}) at http://127.0.0.1:{localcloud_port} exited with status -9" in restarted
    second = int(re.findall(r"localcloud restarted \(pid (\d+)\)", restarted)[-1])
    assert second != first
    answer = health(localcloud_port, timeout=20)
    assert answer is not None
    assert answer.status_code == 200
    # Same data folder: the emulator's database is the one the first child made.
    assert (tmp_path / "data" / "credentials.sqlite3").exists()

    code, output = runserver.stop(signal.SIGTERM)
    assert code == 0
    assert not listening(localcloud_port)
    assert "NOT restarting" not in output


def exits(status: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", f"raise SystemExit({status})"])


def test_it_gives_up_on_a_localcloud_that_keeps_dying(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{free_port()}"
    respawned: list[subprocess.Popen[bytes]] = []

    def respawn() -> subprocess.Popen[bytes]:
        respawned.append(exits(3))
        return respawned[-1]

    supervisor = localcloud_process.Supervisor(exits(3), respawn=respawn, poll_interval=0.01, backoff=0.001)
    with caplog.at_level(logging.WARNING, logger="portal.localcloud_process"):
        supervisor.start()
        supervisor.wait(timeout=60)

    assert supervisor.gave_up
    assert len(respawned) == 5
    messages = [record.getMessage() for record in caplog.records]
    waits = [re.search(r"restarting it in (\S+)s", message) for message in messages]
    assert [match.group(1) for match in waits if match] == ["0.001", "0.002", "0.004", "0.008", "0.016"]
    assert messages[-1].startswith(f"localcloud at {settings.LOCALCLOUD_URL} died again (status 3) after 5 restarts")
    assert "NOT restarting it" in messages[-1]
    assert caplog.records[-1].levelno == logging.ERROR


def test_it_backs_off_and_forgets_restarts_older_than_its_window(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{free_port()}"
    now = [0.0]
    respawned: list[subprocess.Popen[bytes]] = []

    def respawn() -> subprocess.Popen[bytes]:
        # Each death comes a minute after the one before: never five within the window.
        now[0] += 61
        respawned.append(exits(1) if len(respawned) < 7 else exits(0))
        return respawned[-1]

    supervisor = localcloud_process.Supervisor(
        exits(1), respawn=respawn, poll_interval=0.01, backoff=0.001, clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING, logger="portal.localcloud_process"):
        supervisor.start()
        supervisor.wait(timeout=60)

    assert not supervisor.gave_up
    assert len(respawned) == 8
    messages = [record.getMessage() for record in caplog.records]
    assert all("restart 1 of at most 5" in m for m in messages if "restarting it in" in m)
    assert messages[-1] == f"localcloud at {settings.LOCALCLOUD_URL} stopped cleanly; not restarting it"
