"""The portal as deployed, in Chromium: deploy/entrypoint.sh (the container's entrypoint) runs gunicorn with DEBUG off
in local mode, with localcloud started on its own beside it, and PostgreSQL + Redis in CI's second pass. Every page a
person opens (sign-in, regions, buckets, a bucket's files, the admin) loads all its styles and scripts, which
whitenoise serves from collectstatic's copies, and a file uploaded through the page lands in the bucket.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.demo.live import csp_violations, watch_csp
from tests.deploy.conftest import deploy_env, entrypoint, healthcheck, manage
from tests.hardening.conftest import PYTHON, Process, free_port

pytestmark = pytest.mark.browser

PASSWORD = "deployed-" + secrets.token_urlsafe(12)
APPID = "1250000000"
BUCKET = f"demo-{APPID}"
REGION = "ap-guangzhou"


@dataclass
class Deployed:
    url: str
    env: dict[str, str]
    portal: Process
    localcloud: Process
    failures: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        """Record every request that failed and every answer of 400 or more, and the static files that loaded."""

        def answered(response: Any) -> None:
            if response.status >= 400:
                self.failures.append(f"{response.request.method} {response.url} answered {response.status}")
            elif "/static/" in response.url:
                self.assets.append(response.url)

        page.on("requestfailed", lambda request: self.failures.append(f"{request.url} failed: {request.failure}"))
        page.on("response", answered)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, shared_services: dict[str, str]) -> Iterator[Deployed]:
    var = tmp_path_factory.mktemp("deployed")
    localcloud_port, port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = deploy_env(
        var,
        # DEBUG unset: off by default, in local mode too.
        CLOUD_BACKEND="local",
        LOCALCLOUD_URL=f"http://127.0.0.1:{localcloud_port}",
        LOCALCLOUD_DATA=str(var / "localcloud"),
        LOCALCLOUD_APPID=APPID,
        **shared_services,
    )
    # As compose.yaml runs it: localcloud first, on its own; then bootstrap_demo provisions it through CAM (users,
    # the demo bucket with its CORS rule admitting this origin, roles and the portal's key), with no restart.
    localcloud = Process(
        "localcloud",
        [PYTHON, "-m", "localcloud", "--port", str(localcloud_port), "--data", str(var / "localcloud")],
        localcloud_port,
        var / "localcloud.log",
        env=env,
    )
    localcloud.start()
    portal = entrypoint("portal", env, port, var / "entrypoint.log")
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "bootstrap_demo", "--password", PASSWORD, "--origin", url)
        portal.start(timeout=180)
        yield Deployed(url, env, portal, localcloud)
    finally:
        portal.stop()
        localcloud.stop()


def sign_in(page: Any, url: str, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(url)


@pytest.fixture
def watched(deployed: Deployed, page: Any) -> Deployed:
    deployed.failures.clear()
    deployed.assets.clear()
    deployed.watch(page)
    return deployed


def test_it_serves_every_page_with_its_assets_and_uploads_through_the_page(
    watched: Deployed, page: Any, tmp_path: Path
) -> None:
    deployed = watched
    base = deployed.url
    watch_csp(page)

    page.goto(f"{base}/accounts/login/")
    # pico's stylesheet applied: the sign-in card is laid out by it, not by the browser's defaults.
    assert page.evaluate("getComputedStyle(document.querySelector('button')).cursor") == "pointer"
    sign_in(page, f"{base}/", "alice")
    page.get_by_test_id("regions").wait_for()
    page.goto(f"{base}/regions/{REGION}/")
    assert page.locator(f"[data-bucket='{BUCKET}']").count() == 1, page.inner_text("main")
    page.goto(f"{base}/buckets/{REGION}/{BUCKET}/")

    content = os.urandom(256 * 1024)
    upload = tmp_path / "deployed.bin"
    upload.write_bytes(content)
    page.set_input_files("#upload-input", str(upload))
    page.wait_for_selector(".upload-item[data-state=done]", timeout=60_000)
    link = page.locator("#object-list tr[data-key='users/alice/deployed.bin'] a.download")
    page.locator("#object-list tr[data-key='users/alice/deployed.bin'] details.row-menu > summary").click()
    link.wait_for()
    with page.expect_download() as saved:  # the portal redirects to the bucket's *.localhost host at localcloud
        link.click()
    assert hashlib.sha256(Path(saved.value.path()).read_bytes()).digest() == hashlib.sha256(content).digest()
    # Chromium ends the navigation that became this download with ERR_ABORTED: that request is the download itself.
    deployed.failures.remove(f"{saved.value.url} failed: net::ERR_ABORTED")

    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/?next=/admin/")
    sign_in(page, f"{base}/admin/", "admin")
    for path in ("/admin/signer/issuedcredential/", "/admin/signer/accesspolicy/", "/admin/auth/user/"):
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
    page.locator("#changelist").wait_for()

    assert deployed.failures == []
    assert csp_violations(page) == []
    # The pages loaded the hashed copies collectstatic made: the vendor libraries and the admin's own.
    names = {asset.rsplit("/", 1)[-1] for asset in deployed.assets}
    for prefix in ("pico.min.", "demo.", "cos-js-sdk-v5.min.", "upload.", "base.", "changelists."):
        hashed = [name for name in names if name.startswith(prefix)]
        assert hashed, (prefix, sorted(names))
        assert all(len(name.split(".")) >= 3 for name in hashed), hashed
    # In CI's second pass the deployed portal kept its state in PostgreSQL and Redis, not in files of its own.
    var = Path(deployed.env["PORTAL_VAR_DIR"])
    assert (var / "portal.sqlite3").exists() is ("DATABASE_URL" not in deployed.env)
    if "REDIS_URL" in deployed.env:
        import redis

        client = redis.Redis.from_url(deployed.env["REDIS_URL"])
        assert list(client.scan_iter(f"{deployed.env['CACHE_KEY_PREFIX']}*", count=1000))
        client.close()


def test_it_answers_an_unknown_page_with_the_portals_own_404(watched: Deployed, page: Any) -> None:
    deployed = watched
    response = page.goto(f"{deployed.url}/no/such/page/")
    assert response.status == 404
    assert "Django tried these URL patterns" not in page.content()  # DEBUG is off
    # The page's only failure is its own status: its stylesheet loaded.
    assert deployed.failures == [f"GET {deployed.url}/no/such/page/ answered 404"]
    assert any("pico.min." in asset for asset in deployed.assets)


def test_it_reports_healthy_to_the_container_healthcheck(deployed: Deployed) -> None:
    result = healthcheck(deployed.env, deployed.portal.port)
    assert result.returncode == 0, result.stderr
