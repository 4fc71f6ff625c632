"""deploy/entrypoint.sh in tencent mode, outside a container: it refuses to start without its secrets, with the
settings' own message and before touching the database; with them it passes `check --deploy`, migrates, collects
the static files and serves the pages with their hashed, compressed, long-cached assets through whitenoise.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.deploy.conftest import ENTRYPOINT, deploy_env, entrypoint, healthcheck
from tests.hardening.conftest import ROOT_DIR, Process, free_port

HOST = "portal.example.com"


def tencent_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Production settings with the secrets given as files, as compose.yaml gives them."""
    secret_key = var_dir / "secret_key.txt"
    secret_key.write_text(secrets.token_urlsafe(60))
    secrets_keys = var_dir / "secrets_keys.txt"
    secrets_keys.write_text(Fernet.generate_key().decode())
    # A URL with a password in it would be a secret too: given as a file like the others.
    database_url = var_dir / "database_url.txt"
    database_url.write_text(f"sqlite:///{var_dir / 'from-file.sqlite3'}")
    settings = {
        "CLOUD_BACKEND": "tencent",
        "SECRET_KEY_FILE": str(secret_key),
        "PORTAL_SECRETS_KEYS_FILE": str(secrets_keys),
        "DATABASE_URL_FILE": str(database_url),
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "true",
        # Refused at once, so /healthz answers without waiting on a network this machine may not have.
        "STS_ENDPOINT": "127.0.0.1",
    }
    return deploy_env(var_dir, **{**settings, **extra})


@pytest.mark.parametrize("missing", ["SECRET_KEY_FILE", "PORTAL_SECRETS_KEYS_FILE"])
def test_it_refuses_to_start_without_a_secret(tmp_path: Path, missing: str) -> None:
    env = tencent_env(tmp_path)
    del env[missing]
    result = subprocess.run([str(ENTRYPOINT)], cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    name = missing.removesuffix("_FILE")
    assert "entrypoint: refusing to start" in result.stderr, result.stderr
    assert name in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # Refused before anything was written: no database, no static files, no secret generated in their place.
    given = ["database_url.txt", "secret_key.txt", "secrets_keys.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == given


def test_it_refuses_a_secret_file_it_cannot_read(tmp_path: Path) -> None:
    env = tencent_env(tmp_path, SECRET_KEY_FILE=str(tmp_path / "nowhere"))
    result = subprocess.run([str(ENTRYPOINT)], cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"entrypoint: refusing to start: SECRET_KEY_FILE='{tmp_path / 'nowhere'}' cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    var = tmp_path_factory.mktemp("tencent")
    port = free_port()
    process = entrypoint("portal", tencent_env(var), port, var / "entrypoint.log")
    process.start(timeout=180)
    yield process
    process.stop()


def get(portal: Process, path: str, **headers: str) -> requests.Response:
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", **headers}
    return requests.get(f"{portal.url}{path}", headers=headers, allow_redirects=False, timeout=30)


def test_it_passes_check_deploy_and_prepares_the_instance(production: Process) -> None:
    log = production.log.read_text()
    assert "entrypoint: manage.py check --deploy" in log
    assert "System check identified no issues" in log
    var = production.log.parent
    assert (var / "from-file.sqlite3").exists()  # migrated, into the database DATABASE_URL_FILE names
    assert (var / "static" / "staticfiles.json").exists()  # collected


def test_it_serves_the_pages_assets_hashed_compressed_and_cached_for_long(production: Process) -> None:
    page = get(production, "/accounts/login/")
    assert page.status_code == 200
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert links
    for link in links:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", link), link  # content-hashed name
        asset = get(production, link, **{"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, link
        assert asset.headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert asset.headers["Content-Encoding"] == "gzip"
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
    # The admin's own scripts and styles are served too.
    admin = get(production, "/admin/login/")
    assert admin.status_code == 200
    for link in re.findall(r'(?:href|src)="(/static/admin/[^"]+)"', admin.text):
        assert get(production, link).status_code == 200, link


def test_it_answers_a_missing_asset_with_404(production: Process) -> None:
    assert get(production, "/static/vendor/pico/pico.css").status_code == 404  # not one of the files published
    assert get(production, "/static/rest_framework/css/bootstrap.min.css").status_code == 404


def test_it_answers_healthz_on_plain_http_for_the_container_healthcheck(production: Process) -> None:
    response = requests.get(f"{production.url}/healthz", headers={"Host": HOST}, allow_redirects=False, timeout=30)
    assert response.status_code == 503  # no redirect to HTTPS; STS (127.0.0.1:443) does not answer here
    assert response.json()["checks"]["cloud"].startswith("down")
    assert response.json()["checks"]["database"] == "ok"
    # The image's HEALTHCHECK sees the same: unhealthy, and says why.
    result = healthcheck(production.env, production.port)
    assert result.returncode == 1
    assert "HTTP Error 503" in result.stderr
    assert '"cloud": "down' in result.stderr
