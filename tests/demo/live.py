"""Shared pieces of the demo's browser tests (tests/browser/test_demo_*.py): the portal on live_server with the
session's localcloud, users and a demo bucket whose CORS rule admits the live_server origin, logging in, slowing
uploads through CDP, and localcloud's counters.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from demo import cos
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, PASSWORD, REGION, make_account, make_bucket, make_policy, make_user
from tests.net import loopback_get

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run where a loop is running
# unless told that this is deliberate (the documented setting for Playwright with pytest-django).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
MiB = 1024 * 1024


@dataclass
class Portal:
    url: str
    localcloud: RunningServer
    account: CloudAccount
    bucket: str

    def user(
        self, username: str, *, preset: str = "read-write own prefix", bucket: str | None = None, **fields: Any
    ) -> Any:
        policy = make_policy(
            self.account, name=f"{preset} {username}", preset=preset, bucket=bucket or self.bucket, **fields
        )
        return make_user(username, policy=policy)

    def counts(self) -> dict[str, int]:
        response = requests.get(f"{self.localcloud.url}/_localcloud/stats", timeout=10)
        response.raise_for_status()
        return dict(response.json()["counts"])

    def count(self, name: str) -> int:
        return int(self.counts().get(name, 0))

    def settled(self, name: str = "cos:bytes_in", quiet: float = 1.0, limit: float = 15.0) -> int:
        """The counter once it has not grown for `quiet` seconds (watching the wire takes real time)."""
        deadline = time.monotonic() + limit
        value, since = self.count(name), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            current = self.count(name)
            if current != value:
                value, since = current, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return value
        pytest.fail(f"{name} kept growing for {limit}s")

    def uploads_in_progress(self, prefix: str) -> list[cos.MultipartUpload]:
        return cos.list_multipart_uploads(ROOT, region=REGION, bucket=self.bucket, prefix=prefix)

    def is_storage(self, url: str) -> bool:
        """Whether the browser sent `url` to localcloud: a bucket's *.localhost host or the bare address."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.port == self.localcloud.port and (host == self.localcloud.host or host.endswith(".localhost"))

    def stored(self, key: str, bucket: str | None = None) -> bytes:
        url = cos.presign_get(ROOT, region=REGION, bucket=bucket or self.bucket, key=key)
        response = loopback_get(url, timeout=30)
        response.raise_for_status()
        return response.content


@pytest.fixture(name="portal")
def portal_fixture(live_server: Any, cloud: RunningServer, transactional_db: None) -> Portal:
    """The portal at live_server.url; the demo bucket admits that origin (it is random) in its CORS rule."""
    account = make_account(cloud)
    bucket = make_bucket(cloud, DEMO_BUCKET)
    cos.put_cors(ROOT, region=REGION, bucket=bucket, cors_origins=[live_server.url, "http://127.0.0.1:8000"])
    return Portal(url=live_server.url, localcloud=cloud, account=account, bucket=bucket)


def login(page: Any, portal: Portal, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{portal.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{portal.url}/")


def download(page: Any, link: Any) -> bytes:
    """Click a download link (the portal redirects to the bucket's *.localhost host, which only the browser
    resolves, so not Playwright's page.request) and return the bytes Chromium saved."""
    with page.expect_download() as saved:
        link.click()
    return Path(saved.value.path()).read_bytes()


def fetch_as_stranger(browser: Any, url: str) -> tuple[str, bytes]:
    """Open a download link (a share link) in a fresh browser context — no cookies, no session, nobody signed in —
    and return the file name Chromium was given and the bytes it saved."""
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_download() as saved:
            page.evaluate("url => { window.location.href = url; }", url)
        return saved.value.suggested_filename, Path(saved.value.path()).read_bytes()
    finally:
        context.close()


def watch_csp(page: Any) -> None:
    """Record Content-Security-Policy violations on every page the test opens (read them with csp_violations)."""
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__csp || []"))


def throttle_uploads(page: Any, bytes_per_second: int) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )
    return cdp


def screenshot(page: Any, artifacts_dir: Path, name: str) -> Path:
    folder = artifacts_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - comparing files, not security


def objects_url(portal: Portal, bucket: str | None = None, prefix: str = "") -> str:
    url = f"{portal.url}/buckets/{REGION}/{bucket or portal.bucket}/"
    return f"{url}?prefix={prefix}" if prefix else url


# What a user could type into the browser's console on the objects page: cos-js-sdk-v5 with the page's own
# configuration (its Domain, never a URL built here) and credentials from /sts, calling any method. The file
# manager tests use it to show that COS itself refuses what the page hides.
SDK_CALL = """
async ([method, params]) => {
  const config = JSON.parse(document.getElementById('upload-config').textContent);
  const csrf = document.querySelector('[name=csrfmiddlewaretoken]').value;
  const options = {
    Protocol: config.protocol,
    getAuthorization: async (scope, callback) => {
      const response = await fetch(config.stsUrl, {method: 'POST', body: '{}',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}});
      const body = await response.json();
      callback({TmpSecretId: body.credentials.tmpSecretId, TmpSecretKey: body.credentials.tmpSecretKey,
        SecurityToken: body.credentials.sessionToken, StartTime: body.startTime, ExpiredTime: body.expiredTime});
    },
  };
  if (config.domain) { options.Domain = config.domain; options.AutoSwitchHost = false; }
  const cos = new COS(options);
  try {
    const data = await cos[method](Object.assign({Bucket: config.bucket, Region: config.region}, params));
    delete data.headers;
    return {ok: true, data: data};
  } catch (err) {
    return {ok: false, statusCode: err.statusCode, code: (err.error && err.error.Code) || err.code || ''};
  }
}
"""


def sdk_call(page: Any, method: str, **params: Any) -> dict[str, Any]:
    """cos-js-sdk-v5's `method` on the open objects page's bucket, with the signed-in user's credentials."""
    return dict(page.evaluate(SDK_CALL, [method, params]))


def row_menu(page: Any, row: str) -> Any:
    """Open the row menu of `row` (a CSS selector of a <tr>) and return the row."""
    locator = page.locator(row)
    locator.locator("details.row-menu > summary").click()
    return locator


def exists(portal: Portal, key: str) -> bool:
    """Whether `key` is stored (a folder marker "name/" included), asked with the root keys."""
    return bool(cos_client(portal.localcloud).object_exists(Bucket=portal.bucket, Key=key))


def keys_under(portal: Portal, prefix: str) -> list[str]:
    """Every key under `prefix`, the folder's own marker included, asked with the root keys."""
    client = cos_client(portal.localcloud)
    keys: list[str] = []
    marker = ""
    while True:
        data = client.list_objects(Bucket=portal.bucket, Prefix=prefix, Marker=marker, MaxKeys=1000)
        contents = data.get("Contents") or []
        keys.extend(item["Key"] for item in contents)
        if str(data.get("IsTruncated", "false")).lower() != "true" or not contents:
            return keys
        marker = data.get("NextMarker") or contents[-1]["Key"]


def fm_dialog(page: Any) -> Any:
    """The file manager's dialog, once it is open (a folder's count comes first)."""
    page.wait_for_selector("#fm-dialog[open]")
    return page.get_by_test_id("fm-dialog")


# The file manager's status line once its job is over (data-state "done" or "failed").
FM_DONE = "() => ['done', 'failed'].includes(document.querySelector('[data-testid=fm-status]').dataset.state)"


def put(portal: Portal, key: str, body: bytes = b"x") -> bytes:
    """Store `key` in the portal's bucket with the root keys (a test's own files, not the page's)."""
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=key, body=body)
    return body


def fm_answer(page: Any, value: str, button: str) -> None:
    """Fill the file manager's dialog (a name, a destination) and press `button`."""
    dialog = fm_dialog(page)
    dialog.locator("input[name=value]").fill(value)
    dialog.get_by_role("button", name=button, exact=True).click()


def fm_finished(page: Any, timeout: float = 60_000) -> str:
    """The file manager's status line once its job is over."""
    page.wait_for_function(FM_DONE, timeout=timeout)
    text: str = page.get_by_test_id("fm-status").inner_text()
    return text
