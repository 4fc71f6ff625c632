"""The settings module fails loudly on bad configuration and configures tencent mode for the real cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'local': settings.LOCAL_MODE, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'secure': settings.SESSION_COOKIE_SECURE, 'sts': settings.STS_ENDPOINT, 'hosts': settings.ALLOWED_HOSTS, "
    "'connect': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src']}))"
)


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLOUD_", "SECRET_", "DEBUG"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_it_runs_local_mode_with_no_configuration(tmp_path: Path) -> None:
    result = _settings(tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["local"] is True
    # Debug pages only when asked for (make run asks): a local 404 is the portal's page.
    assert values["debug"] is False
    # Local mode generates its secrets into var/ rather than hard-coding them.
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets_key").exists()


def test_it_refuses_tencent_mode_without_a_secret_key(tmp_path: Path) -> None:
    result = _settings(tmp_path, CLOUD_BACKEND="tencent")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required when CLOUD_BACKEND=tencent" in result.stderr


def test_it_configures_tencent_mode_for_production(tmp_path: Path) -> None:
    secret_file = tmp_path / "django-secret"
    secret_file.write_text("x" * 60)
    result = _settings(
        tmp_path, CLOUD_BACKEND="tencent", SECRET_KEY_FILE=str(secret_file), ALLOWED_HOSTS="portal.example.com"
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["local"] is False
    assert values["debug"] is False
    assert values["secure"] is True
    assert values["hsts"] == 31536000
    assert values["sts"] == "sts.tencentcloudapi.com"
    assert values["hosts"] == ["portal.example.com"]
    assert values["connect"] == ["'self'", "https://*.myqcloud.com"]
    # No secret was generated on disk in tencent mode.
    assert not (tmp_path / "secret_key").exists()


def test_it_rejects_a_bad_boolean(tmp_path: Path) -> None:
    result = _settings(tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_it_rejects_an_unknown_backend(tmp_path: Path) -> None:
    result = _settings(tmp_path, CLOUD_BACKEND="aws")
    assert result.returncode != 0
    assert "CLOUD_BACKEND must be 'local' or 'tencent', not 'aws'" in result.stderr


def test_it_shows_debug_pages_when_asked(tmp_path: Path) -> None:
    result = _settings(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True
