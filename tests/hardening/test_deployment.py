"""Deployment: tencent-mode production settings pass `manage.py check --deploy`, and the running portal (gunicorn,
as a real process behind a TLS-terminating proxy) answers with secure cookies, HSTS, a Content-Security-Policy,
X-Frame-Options DENY and plain error pages, never Django's debug pages.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet

from tests.hardening.conftest import PYTHON, ROOT_DIR, Process
from tests.net import free_port

HOST = "portal.example.com"
PASSWORD = "deploy-" + secrets.token_urlsafe(12)
DEBUG_PAGE_MARKERS = (b"Traceback", b"DEBUG = True", b"Django tried these URL patterns", b"technical_500", b"URLconf")


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests (Playwright + ORM), never in a deployment.
    dropped = {"REDIS_URL", "DATABASE_URL", "DEBUG", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            "CLOUD_BACKEND": "tencent",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "PORTAL_SECRETS_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": HOST,
            "PORTAL_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **extra,
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_it_passes_check_deploy_with_tencent_production_settings(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_it_fails_check_deploy_loudly_without_production_secrets(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["PORTAL_SECRETS_KEYS"]
    result = manage(env, "check", "--deploy")
    assert result.returncode != 0
    assert "PORTAL_SECRETS_KEYS" in result.stdout + result.stderr
    assert env["SECRET_KEY"] not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """The portal in tencent mode under gunicorn, as behind a TLS-terminating proxy (BEHIND_TLS_PROXY=true)."""
    var = tmp_path_factory.mktemp("production")
    env = production_env(var, BEHIND_TLS_PROXY="true", DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    superuser = ("createsuperuser", "--noinput", "--username", "alice", "--email", "alice@example.com")
    for args in (("migrate", "--noinput"), superuser):
        result = manage(env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    port = free_port()
    process = Process(
        "portal",
        [PYTHON, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        port,
        var / "gunicorn.log",
        env=env,
    )
    process.start()
    yield process
    process.stop()


def get(portal: Process, path: str, *, https: bool = True, session: requests.Session | None = None, **kw: Any) -> Any:
    headers = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {}), **kw.pop("headers", {})}
    return (session or requests).get(f"{portal.url}{path}", headers=headers, allow_redirects=False, timeout=30, **kw)


def test_it_redirects_plain_http_to_https(production: Process) -> None:
    response = get(production, "/accounts/login/", https=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/"


def test_it_sends_the_security_headers_on_pages(production: Process) -> None:
    response = get(production, "/accounts/login/")
    assert response.status_code == 200
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    directives = (d.strip().partition(" ") for d in headers["Content-Security-Policy"].split(";") if d.strip())
    csp = {name: value for name, _, value in directives}
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "https://*.myqcloud.com" in csp["connect-src"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    # Templates carry no inline script or style for the policy to block.
    assert not re.search(rb"<script(?![^>]*\bsrc=)[^>]*>", response.content)
    assert b" style=" not in response.content
    assert b"<style" not in response.content


def test_it_sets_only_secure_cookies(production: Process) -> None:
    session = requests.Session()
    page = get(production, "/accounts/login/", session=session)
    csrf_cookie = page.headers["Set-Cookie"]
    assert "csrftoken=" in csrf_cookie
    assert "Secure" in csrf_cookie
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token
    # A Secure cookie is not sent over the proxy's plain hop by a careful client: hand it over as the browser would.
    csrf = session.cookies["csrftoken"]
    login = requests.post(
        f"{production.url}/accounts/login/",
        data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()},
        headers={
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}/accounts/login/",
            "Cookie": f"csrftoken={csrf}",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302, login.text[:500]
    cookies = {c.name: c for c in login.cookies}
    session_cookie = cookies["sessionid"]
    assert session_cookie.secure
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    assert "SameSite=Lax" in login.headers["Set-Cookie"]
    assert next(c for c in session.cookies if c.name == "csrftoken").secure


@pytest.mark.parametrize(
    ("path", "host", "status"),
    [
        ("/no/such/page/", HOST, 404),
        ("/buckets/ap-nowhere/x/", HOST, 302),  # login first, never a debug page
        ("/admin/no-such-model/", HOST, 302),
        ("/accounts/login/", "evil.example.com", 400),  # DisallowedHost
        ("/api/schema/?format=nonsense", HOST, 404),
    ],
)
def test_it_never_shows_a_debug_page(production: Process, path: str, host: str, status: int) -> None:
    response = get(production, path, headers={"Host": host})
    assert response.status_code == status, response.status_code
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in response.content, marker
    assert b"SECRET_KEY" not in response.content


def test_it_answers_api_errors_as_json_without_details(production: Process) -> None:
    response = get(production, "/sign")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["codeDesc"] == "NotAuthenticated"
    assert response.headers["Cache-Control"] == "no-store"
