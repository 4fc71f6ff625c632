"""Fixtures for the hardening tests: an isolated cache, alice and bob with the demo policy, an HTTP client for the
portal on live_server, and real processes (localcloud, redis-server) that a test may kill and restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from tests.cos_sdk import cos_client as sdk_client
from tests.net import free_port, listening, stop_process

ROOT_DIR = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable


# ------------------------------------------------------------------------------------------------ portal + users


def assert_envelope(response: requests.Response | Any, status: int, code_desc: str | None = None) -> dict[str, Any]:
    """The portal's error envelope: real status, JSON `{code, message, codeDesc}`."""
    assert response.status_code == status, getattr(response, "text", response.content)
    content_type = response.headers["Content-Type"]
    assert content_type == "application/json", content_type
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "codeDesc"}, body
    assert body["code"] == status
    assert body["message"]
    if code_desc is not None:
        assert body["codeDesc"] == code_desc, body
    return body


def cos_client(address: Any, secret_id: str, secret_key: str, token: str | None = None) -> CosS3Client:
    """cos-python-sdk-v5 against localcloud, as an app holding the portal's credentials uses it; no retries, so a
    server error is seen as it happened."""
    return sdk_client(address, secret_id, secret_key, token, retry=0)


def root_client(address: Any) -> CosS3Client:
    return cos_client(address, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


# ----------------------------------------------------------------------------------------------- real processes


@dataclass
class Process:
    """A server as a real child process on a fixed port, which a test may kill -9 and start again."""

    name: str
    args: list[str]
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    process: subprocess.Popen[bytes] | None = None

    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            if listening(self.port, self.host):
                return
            time.sleep(0.05)
        pytest.fail(f"{self.name} did not listen on {self.port} within {timeout}s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)
        self.process = None


@pytest.fixture
def localcloud_process(tmp_path: Path) -> Iterator[Process]:
    """localcloud as `python -m localcloud` on a fixed free port with a persistent data folder."""
    port = free_port()
    data = tmp_path / "localcloud-data"
    process = Process(
        "localcloud",
        [PYTHON, "-m", "localcloud", "--port", str(port), "--data", str(data)],
        port,
        tmp_path / "localcloud.log",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[Process]:
    """A redis-server of our own (the machine's Redis serves other tests and must not be stopped)."""
    port = free_port()
    process = Process(
        "redis",
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        port,
        tmp_path / "redis.log",
    )
    process.start()
    yield process
    process.stop()


def wait_until(check: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy (real processes take real time to come back)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s (last: {last!r})")
