"""The container artifacts, checked where no container engine runs: compose.yaml's environment and secrets configure
the portal as intended (PostgreSQL, Redis, localcloud, every secret from a file), deploy/make-secrets.sh writes
exactly the secrets compose.yaml mounts, and the image runs the entrypoint and health check as a user that is not
root.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.hardening.conftest import ROOT_DIR

COMPOSE = yaml.safe_load((ROOT_DIR / "compose.yaml").read_text())
DOCKERFILE = (ROOT_DIR / "Dockerfile").read_text()

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'host': db['HOST'], 'name': db['NAME'], 'password': db['PASSWORD'], "
    "'cache': settings.CACHES['default']['LOCATION'], 'audit': settings.SIGNER_AUDIT, 'debug': settings.DEBUG, "
    "'secret_key': settings.SECRET_KEY, 'keys': settings.PORTAL_SECRETS_KEYS, 'localcloud': settings.LOCALCLOUD_URL, "
    "'public': settings.LOCALCLOUD_PUBLIC_URL}))"
)


def make_secrets(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT_DIR / "deploy" / "make-secrets.sh"), str(folder)],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def portal_settings(environment: dict[str, str], secrets: Path, var: Path) -> dict[str, Any]:
    """The settings the portal container gets, with /run/secrets/NAME read from `secrets`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "DEBUG"))}
    for name, value in environment.items():
        env[name] = value.replace("/run/secrets/", f"{secrets}/")
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(var)})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_it_writes_the_secrets_compose_mounts_once(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    first = make_secrets(folder)
    written = {path.name: path.read_text() for path in folder.iterdir()}
    mounted = {Path(secret["file"]).name for secret in COMPOSE["secrets"].values()}
    assert set(written) == mounted
    assert all(value.strip() for value in written.values())
    assert folder.stat().st_mode & 0o777 == 0o700
    assert f"wrote {folder}/secret_key" in first.stdout
    # Again: nothing is replaced (the database was initialised with the first password).
    again = make_secrets(folder)
    assert again.stdout == ""
    assert {path.name: path.read_text() for path in folder.iterdir()} == written
    db_password = written["db_password"].strip()
    assert written["database_url"].strip() == f"postgres://portal:{db_password}@db:5432/portal"
    assert written["redis_url"].strip() == f"redis://:{written['redis_password'].strip()}@redis:6379/0"


def test_it_configures_the_portal_from_compose_with_every_secret_from_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    make_secrets(folder)
    portal = COMPOSE["services"]["portal"]
    environment: dict[str, str] = portal["environment"]
    # Secrets travel as files only, and each file the environment names is mounted into the container.
    for name, value in environment.items():
        assert not re.search(r"(SECRET|PASSWORD|KEY)S?$", name), name
        if name.endswith("_FILE"):
            assert value.removeprefix("/run/secrets/") in portal["secrets"], name
    values = portal_settings(environment, folder, tmp_path / "var")
    assert values["engine"] == "django.db.backends.postgresql"
    assert (values["host"], values["name"]) == ("db", "portal")
    assert values["password"] == (folder / "db_password").read_text().strip()
    assert values["cache"] == (folder / "redis_url").read_text().strip()
    assert values["audit"] == "outbox"
    assert values["debug"] is False
    assert values["secret_key"] == (folder / "secret_key").read_text().strip()
    assert values["keys"] == [(folder / "portal_secrets_keys").read_text().strip()]
    assert (values["localcloud"], values["public"]) == ("http://localcloud:9100", "http://127.0.0.1:9100")
    # Nothing was generated in place of a secret: every container reads the same ones.
    assert not (tmp_path / "var").exists()


def test_it_bootstraps_against_the_running_localcloud_with_the_portals_secrets(tmp_path: Path) -> None:
    services = COMPOSE["services"]
    bootstrap, localcloud, portal = services["bootstrap"], services["localcloud"], services["portal"]
    assert set(portal["secrets"]) <= set(bootstrap["secrets"])
    # localcloud starts first and on its own; bootstrap_demo provisions it through CAM, as the portal reaches it.
    assert "depends_on" not in localcloud
    assert bootstrap["depends_on"]["localcloud"]["condition"] == "service_healthy"
    assert bootstrap["environment"] == portal["environment"]
    assert portal["environment"]["LOCALCLOUD_URL"] == "http://localcloud:9100"
    # Nothing but localcloud touches its data: what bootstrap_demo sets up travels over CAM's API.
    assert "volumes" not in bootstrap
    assert localcloud["volumes"] == ["localcloud:/data/localcloud"]
    # The portal starts once the demo's users and key exist (and never migrates at the same time as bootstrap).
    assert portal["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert portal["depends_on"]["localcloud"]["condition"] == "service_healthy"
    assert localcloud["restart"] == portal["restart"] == "unless-stopped"
    # The encryption key the bootstrap stored the account's secret with is the one the portal decrypts with.
    folder = tmp_path / "secrets"
    make_secrets(folder)
    ours = portal_settings(bootstrap["environment"], folder, tmp_path / "bootstrap")
    theirs = portal_settings(portal["environment"], folder, tmp_path / "portal")
    assert ours["keys"] == theirs["keys"]
    assert ours["secret_key"] == theirs["secret_key"]


def test_it_builds_an_image_that_runs_the_entrypoint_unprivileged() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert stages[-1] == "python:3.11-slim"
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    user = re.search(r"^USER (\S+)", final, re.MULTILINE)
    assert user
    assert user.group(1) not in {"root", "0"}
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", final, re.MULTILINE).group(1))  # type: ignore[union-attr]
    healthcheck = re.search(r"^HEALTHCHECK .* CMD (\[.+\])$", final, re.MULTILINE)
    assert healthcheck
    for command in (entrypoint, json.loads(healthcheck.group(1))):
        script = next(part for part in command if part.startswith("deploy/"))
        assert os.access(ROOT_DIR / script, os.R_OK), script
    assert os.access(ROOT_DIR / entrypoint[0], os.X_OK)
    # gettext in the build stage: translations compile with the image.
    assert "gettext" in DOCKERFILE.split("\nFROM python:3.11-slim\n")[0]
    ignored = (ROOT_DIR / ".dockerignore").read_text().split()
    assert {".env", "secrets", "var", ".venv", "node_modules"} <= set(ignored)
