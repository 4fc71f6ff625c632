"""The portal as it is deployed: deploy/entrypoint.sh (the container's entrypoint) run as a real process outside any
container, with the environment a deployment gives it.

In CI's second pass (DATABASE_URL and REDIS_URL set) the portal gets PostgreSQL and Redis too: a database of its own,
made next to the one DATABASE_URL names and dropped afterwards, and a cache key prefix of its own.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.hardening.conftest import ROOT_DIR, Process

ENTRYPOINT = ROOT_DIR / "deploy" / "entrypoint.sh"
# What the machine's environment may hold that a deployment would not (the suite's own switches included).
DROPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECURE_COOKIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
}


def deploy_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith(("CLOUD_", "LOCALCLOUD_"))}
    env.update(
        {
            # The entrypoint runs `python`: this virtualenv's, as the image's is the only one there.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PORTAL_VAR_DIR": str(var_dir),
            "STATIC_ROOT": str(var_dir / "static"),
            **extra,
        }
    )
    return env


def healthcheck(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, against the portal on `port`."""
    return subprocess.run(
        [sys.executable, str(ROOT_DIR / "deploy" / "healthcheck.py")],
        env={**env, "PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def entrypoint(name: str, env: dict[str, str], port: int, log: Path) -> Process:
    """deploy/entrypoint.sh serving on 127.0.0.1:port (the image binds 0.0.0.0: here that would expose the host)."""
    args = [str(ENTRYPOINT), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"]
    return Process(name, args, port, log, env=env)


@pytest.fixture(scope="module")
def shared_services() -> Iterator[dict[str, str]]:
    """DATABASE_URL and REDIS_URL for the deployed portal when the run has them, else nothing (SQLite, local memory)."""
    found: dict[str, str] = {}
    database_url = os.environ.get("DATABASE_URL", "")
    created: tuple[str, str] | None = None
    if database_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(database_url)
        name = f"{parts.path.lstrip('/') or 'portal'}_deploy_{secrets.token_hex(3)}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created = (admin, name)
        found["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    if os.environ.get("REDIS_URL"):
        found["REDIS_URL"] = os.environ["REDIS_URL"]
        found["CACHE_KEY_PREFIX"] = f"deploy-{secrets.token_hex(4)}"
    yield found
    if "CACHE_KEY_PREFIX" in found:
        import redis

        client = redis.Redis.from_url(found["REDIS_URL"])
        for key in client.scan_iter(f"{found['CACHE_KEY_PREFIX']}*"):
            client.delete(key)
        client.close()
    if created is not None:
        import psycopg

        admin, name = created
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout
