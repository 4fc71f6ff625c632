"""`python -m localcloud`, `manage.py localcloud` and `manage.py runserver` (local mode) as real processes."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tencentcloud.sts.v20180813 import models

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from tests.localcloud.test_sts import federation_request, sts
from tests.net import free_port, listening

REPO = Path(__file__).resolve().parents[2]
EOF = "\x00end of output"
UPLOADER = {
    "version": "2.0",
    "statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": ["*"]}],
}
ASSUMER = {
    "version": "2.0",
    "statement": [
        {"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": ["qcs::cam::uin/100000000001:roleName/*"]}
    ],
}


class Process:
    """A child process whose output lines are collected by a thread, so the test can wait for a line."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)
        self.lines.put(EOF)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """Output up to and including the first line containing `text`."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no line with {text!r} within {timeout}s; output so far:\n{''.join(self.output)}")
            if line is EOF:
                pytest.fail(f"exited ({self.popen.wait()}) before a line with {text!r}:\n{''.join(self.output)}")
            self.output.append(line)
            if text in line:
                return "".join(self.output)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        self.popen.send_signal(signum)
        code = self.popen.wait(timeout=20)
        while not self.lines.empty():
            line = self.lines.get()
            self.output.append("" if line is EOF else line)
        return code, "".join(self.output)


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("LOCALCLOUD_", "RUN_MAIN"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture
def policy_files(tmp_path: Path) -> tuple[Path, Path]:
    uploader, assumer = tmp_path / "uploader.json", tmp_path / "assumer.json"
    uploader.write_text(json.dumps(UPLOADER))
    assumer.write_text(json.dumps(ASSUMER))
    return uploader, assumer


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait()


def as_server(port: int) -> RunningServer:
    """Enough of a RunningServer for the `sts()` client helper."""
    return RunningServer(app=None, host="127.0.0.1", port=port, _server=None, _thread=None)  # type: ignore[arg-type]


def assume_role(port: int, secret_id: str, secret_key: str) -> models.AssumeRoleResponse:
    request = models.AssumeRoleRequest()
    request.RoleArn = "qcs::cam::uin/100000000001:roleName/uploader"
    request.RoleSessionName = "alice"
    return sts(as_server(port), secret_id, secret_key).AssumeRole(request)


def test_it_serves_sts_until_sigterm(tmp_path: Path, policy_files: tuple[Path, Path], processes: list[Process]) -> None:
    port = free_port()
    uploader, assumer = policy_files
    args = [
        "-m", "localcloud", "--port", str(port), "--data", str(tmp_path / "data"),
        "--secret-id", "AKIDCLITEST", "--secret-key", "cli-test-key", "--appid", "1250000001",
        "--role", f"uploader={uploader}", "--subaccount", f"AKIDPORTAL:portal-key={assumer}",
    ]  # fmt: skip
    process = Process(args, clean_env())
    processes.append(process)

    banner = process.wait_for("Press Ctrl+C")
    assert f"http://127.0.0.1:{port}/" in banner
    assert f"http://{{Bucket}}.cos.{{Region}}.localhost:{port}" in banner
    assert "AKIDCLITEST" in banner
    assert "cli-test-key" in banner  # well-known development keys are printed on purpose, like Azurite's
    assert "qcs::cam::uin/100000000001:roleName/uploader" in banner
    assert "AKIDPORTAL" in banner
    assert "portal-key" not in banner

    token = sts(as_server(port), "AKIDCLITEST", "cli-test-key").GetFederationToken(federation_request())
    assumed = assume_role(port, "AKIDPORTAL", "portal-key")
    assert token.Credentials.TmpSecretId
    assert assumed.Credentials.TmpSecretId
    assert (tmp_path / "data" / "credentials.sqlite3").exists()

    code, output = process.stop(signal.SIGTERM)
    assert code == 0
    assert "localcloud stopped" in output
    assert "GetFederationToken by root: ok" in output
    for secret in (token.Credentials.TmpSecretKey, token.Credentials.Token, assumed.Credentials.TmpSecretKey):
        assert secret not in output
    assert not listening(port)


def test_it_reads_localcloud_variables(tmp_path: Path, processes: list[Process]) -> None:
    port = free_port()
    roles_file = tmp_path / "roles.json"
    roles_file.write_text(
        json.dumps(
            {
                "roles": {"uploader": UPLOADER},
                "subaccounts": {"AKIDPORTAL": {"secret_key": "portal-key", "policy": ASSUMER}},
            }
        )
    )
    env = clean_env(
        LOCALCLOUD_PORT=str(port),
        LOCALCLOUD_DATA=str(tmp_path / "data"),
        LOCALCLOUD_SECRET_ID="AKIDFROMENV",
        LOCALCLOUD_SECRET_KEY="env-key",
        LOCALCLOUD_ROLES_FILE=str(roles_file),
    )
    process = Process(["-m", "localcloud"], env)
    processes.append(process)
    process.wait_for("Press Ctrl+C")

    assert sts(as_server(port), "AKIDFROMENV", "env-key").GetFederationToken(federation_request()).Credentials
    assert assume_role(port, "AKIDPORTAL", "portal-key").Credentials

    code, _ = process.stop(signal.SIGINT)
    assert code == 0


def test_it_explains_a_bad_role_flag(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "--data", str(tmp_path), "--role", "uploader"],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "--role 'uploader': expected NAME=path/to/policy.json" in result.stderr


def test_it_explains_a_malformed_role_policy(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"version": "2.0", "statement": [{"effect": "allow", "resource": ["*"]}]}))
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "--data", str(tmp_path), "--role", f"uploader={broken}"],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert str(broken) in result.stderr
    assert "statement 1" in result.stderr


def test_it_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "localcloud", "--port", str(port), "--data", str(tmp_path)],
            cwd=REPO,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_it_documents_its_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "--help"], cwd=REPO, env=clean_env(), capture_output=True, text=True
    )

    assert result.returncode == 0
    for flag in ("--host", "--port", "--data", "--secret-id", "--secret-key", "--appid", "--role", "--subaccount"):
        assert flag in result.stdout
    assert "LOCALCLOUD_ROLES_FILE" in result.stdout


def test_it_runs_from_manage_py(tmp_path: Path, processes: list[Process]) -> None:
    help_text = subprocess.run(
        [sys.executable, "manage.py", "localcloud", "--help"],
        cwd=REPO,
        env=clean_env(PORTAL_VAR_DIR=str(tmp_path / "var")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert help_text.returncode == 0
    assert "--roles-file" in help_text.stdout

    port = free_port()
    env = clean_env(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        LOCALCLOUD_URL=f"http://127.0.0.1:{port}",
        LOCALCLOUD_DATA=str(tmp_path / "data"),
    )
    process = Process(["manage.py", "localcloud"], env)
    processes.append(process)
    banner = process.wait_for("Press Ctrl+C")
    assert f"http://127.0.0.1:{port}/" in banner
    assert str(tmp_path / "data") in banner

    response = sts(as_server(port), DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).GetFederationToken(federation_request())
    assert response.Credentials.TmpSecretId

    code, _ = process.stop(signal.SIGTERM)
    assert code == 0


def test_it_starts_localcloud_with_runserver_and_stops_it_after(tmp_path: Path, processes: list[Process]) -> None:
    localcloud_port, portal_port = free_port(), free_port()
    env = clean_env(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        CLOUD_BACKEND="local",
        LOCALCLOUD_URL=f"http://127.0.0.1:{localcloud_port}",
        LOCALCLOUD_DATA=str(tmp_path / "data"),
    )
    process = Process(["manage.py", "runserver", f"127.0.0.1:{portal_port}"], env)
    processes.append(process)

    process.wait_for("Started localcloud (pid")
    process.wait_for(f"Starting development server at http://127.0.0.1:{portal_port}/")
    assert listening(localcloud_port)
    response = sts(as_server(localcloud_port)).GetFederationToken(federation_request())
    assert response.Credentials.TmpSecretId
    assert (tmp_path / "data" / "credentials.sqlite3").exists()

    code, output = process.stop(signal.SIGTERM)
    assert code == 0
    assert "localcloud stopped" in output
    assert not listening(localcloud_port)
    assert output.count("Started localcloud") == 1  # the autoreloading child did not start a second one


def test_it_leaves_localcloud_alone_with_runserver_in_tencent_mode(tmp_path: Path, processes: list[Process]) -> None:
    localcloud_port, portal_port = free_port(), free_port()
    (tmp_path / "var").mkdir()  # tencent mode creates nothing on disk; the SQLite database lives here
    env = clean_env(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        CLOUD_BACKEND="tencent",
        SECRET_KEY="x" * 60,
        PORTAL_SECRETS_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        LOCALCLOUD_URL=f"http://127.0.0.1:{localcloud_port}",
        LOCALCLOUD_DATA=str(tmp_path / "data"),
    )
    process = Process(["manage.py", "runserver", "--noreload", f"127.0.0.1:{portal_port}"], env)
    processes.append(process)

    output = process.wait_for(f"Starting development server at http://127.0.0.1:{portal_port}/")

    assert "localcloud" not in output
    assert not listening(localcloud_port)
    assert not (tmp_path / "data").exists()
