"""The portal as separate server processes (gunicorn), sharing a file SQLite database and optionally Redis.

Used where one in-process live_server is not the thing to prove: one STS call across several processes, and many
concurrent writers (pytest-django's in-memory SQLite test database refuses concurrent writes with "table is locked").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from tests.net import free_port, listening

REPO = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STARTUP_TIMEOUT = 30.0

SETUP = """
from signer import services
from signer.models import AccessPolicy
from signer.presets import preset_statements
from django.contrib.auth import get_user_model
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_APPID
account = services.account_create(name="localcloud", appid=DEFAULT_APPID, secret_id=DEFAULT_SECRET_ID,
                                  secret_key=DEFAULT_SECRET_KEY)
policy = AccessPolicy.objects.create(name="rw", account=account,
    statements=preset_statements("read-write own prefix", bucket="demo-" + DEFAULT_APPID, region="ap-guangzhou"))
user = get_user_model().objects.create_user(username="alice", password="x")
policy.users.add(user)
token, _ = services.token_create(user=user)
print("TOKEN=" + token)
"""


@dataclass
class Deployment:
    """A database prepared for the servers, with alice and her token."""

    env: dict[str, str]
    token: str
    logs: list[Path]

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())


def prepare(tmp: Path, *, localcloud_url: str, redis_url: str | None = None, key_prefix: str = "") -> Deployment:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CACHE_", "SIGNER_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "CLOUD_BACKEND": "local",
            "PORTAL_VAR_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}",
            "LOCALCLOUD_URL": localcloud_url,
            "PORTAL_SECRETS_KEYS": Fernet.generate_key().decode(),
            "SIGNER_RATE": "10000/min",
            "LOG_LEVEL": "DEBUG",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = key_prefix
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=env, check=True, timeout=120)
    result = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=REPO, env=env, check=True, timeout=120, capture_output=True, text=True
    )
    token = next(line[6:] for line in result.stdout.splitlines() if line.startswith("TOKEN="))
    return Deployment(env=env, token=token, logs=[])


@contextmanager
def server(deployment: Deployment, tmp: Path, *, threads: int = 64) -> Iterator[str]:
    """One gunicorn process (one worker, many threads) serving the portal; yields its base URL."""
    port = free_port()
    log = tmp / f"gunicorn-{port}.log"
    deployment.logs.append(log)
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                GUNICORN,
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--timeout",
                "60",
            ],
            cwd=REPO,
            env=deployment.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not listening(port):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not listen on {port} within {STARTUP_TIMEOUT}s:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def servers(deployment: Deployment, tmp: Path, count: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(server(deployment, tmp)) for _ in range(count)]
