"""The settings module fails loudly on bad configuration and configures tencent mode for the real cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings import envbool
from tests.portal.configuration import BOOLEANS, env_example_names

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'local': settings.LOCAL_MODE, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'secure': settings.SESSION_COOKIE_SECURE, 'sts': settings.STS_ENDPOINT, 'hosts': settings.ALLOWED_HOSTS, "
    "'connect': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src'], "
    "'proxy_ssl_header': settings.SECURE_PROXY_SSL_HEADER}))"
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
    # The browser reaches buckets at their own *.localhost virtual hosts, never at the portal's origin.
    assert values["connect"] == ["'self'", "http://*.localhost:9100"]


def test_it_admits_the_buckets_of_localclouds_public_port(tmp_path: Path) -> None:
    result = _settings(tmp_path, LOCALCLOUD_PUBLIC_URL="https://127.0.0.1:9443")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["connect"] == ["'self'", "https://*.localhost:9443"]


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


@pytest.mark.parametrize("name", sorted(BOOLEANS))
def test_it_stops_on_a_boolean_it_cannot_read(tmp_path: Path, name: str) -> None:
    result = _settings(tmp_path, **{name: "yes please"})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} must be true or false, not 'yes please'" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("On", True), (" 1 ", True), ("no", False), ("0", False)]
)
def test_it_reads_the_usual_spellings_of_a_boolean(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)
    assert envbool("PORTAL_TEST_FLAG", default=not expected) is expected


def test_it_takes_the_default_of_a_boolean_set_to_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TEST_FLAG", "")
    assert envbool("PORTAL_TEST_FLAG", default=True) is True
    monkeypatch.setenv("PORTAL_TEST_FLAG", "yes please")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_FLAG must be true or false, not 'yes please'"):
        envbool("PORTAL_TEST_FLAG", default=True)


def test_it_trusts_x_forwarded_proto_only_behind_a_tls_proxy(tmp_path: Path) -> None:
    direct = _settings(tmp_path)
    behind = _settings(tmp_path, BEHIND_TLS_PROXY="true")
    assert direct.returncode == 0, direct.stderr
    assert behind.returncode == 0, behind.stderr
    assert json.loads(direct.stdout)["proxy_ssl_header"] is None
    assert json.loads(behind.stdout)["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_it_starts_from_a_copy_of_env_example_as_if_nothing_were_set(tmp_path: Path) -> None:
    # Every variable of .env.example set to nothing, as a `.env` copied from it and not yet filled in sets them.
    empty = {name: "" for name in env_example_names() if name != "PORTAL_VAR_DIR"}
    result = _settings(tmp_path, **empty)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["local"] is True
    assert values["debug"] is False  # off unless asked for, in local mode too
    assert values["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["sts"] == "sts.tencentcloudapi.com"


def test_it_rejects_an_unknown_backend(tmp_path: Path) -> None:
    result = _settings(tmp_path, CLOUD_BACKEND="aws")
    assert result.returncode != 0
    assert "CLOUD_BACKEND must be 'local' or 'tencent', not 'aws'" in result.stderr


def test_it_shows_debug_pages_when_asked(tmp_path: Path) -> None:
    result = _settings(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True
