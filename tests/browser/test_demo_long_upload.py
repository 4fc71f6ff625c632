"""Uploads that outlive their credentials, and a browser whose clock is wrong.

A localcloud that issues credentials of a few seconds (Config(sts_duration_cap=...)) and a throttled browser: the
upload takes several credential lifetimes, the SDK asks the page for a fresh credential when the one it holds is
about to expire, and the file is complete. A clock 15 minutes fast: the page reckons with the portal's clock (the
Date of its /sts answer), so neither the signatures nor the SDK's "is this credential still valid?" are off.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo import cos
from localcloud.config import Config
from localcloud.server import RunningServer, start_in_thread
from qcloud.endpoints import local_origin_source
from tests.demo.live import ROOT, MiB, Portal, login, md5, objects_url, portal_fixture, throttle_uploads
from tests.factories import DEMO_BUCKET, REGION, make_account, make_bucket

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

LIFETIME = 8  # seconds a credential from this localcloud is valid
SIZE = 6 * MiB
RATE = 384 * 1024  # bytes per second: the file takes about 16 s, two lifetimes and more


@pytest.fixture
def short_lived_cloud(request: pytest.FixtureRequest, tmp_path: Path, settings: Any) -> Iterator[RunningServer]:
    lifetime = getattr(request, "param", LIFETIME)
    server = start_in_thread(Config(data_dir=tmp_path / "localcloud", sts_duration_cap=lifetime))
    settings.LOCALCLOUD_URL = server.url
    settings.LOCALCLOUD_PUBLIC_URL = server.url
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    for name in ("img-src", "connect-src"):
        directives[name] = [*directives[name], local_origin_source(server.url)]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    yield server
    server.stop()


@pytest.fixture
def short_portal(live_server: Any, short_lived_cloud: RunningServer, transactional_db: None) -> Portal:
    account = make_account(short_lived_cloud)
    bucket = make_bucket(short_lived_cloud, DEMO_BUCKET)
    cos.put_cors(ROOT, region=REGION, bucket=bucket, cors_origins=[live_server.url])
    return Portal(url=live_server.url, localcloud=short_lived_cloud, account=account, bucket=bucket)


def sts_calls(portal: Portal) -> int:
    return sum(count for name, count in portal.counts().items() if name.startswith("sts:"))


def test_it_completes_an_upload_that_takes_several_credential_lifetimes(
    short_portal: Portal, page: Any, tmp_path: Path
) -> None:
    path = tmp_path / "long.bin"
    content = os.urandom(SIZE)
    path.write_bytes(content)
    short_portal.user("alice")
    login(page, short_portal, "alice")
    page.goto(objects_url(short_portal))
    throttle_uploads(page, RATE)
    before = sts_calls(short_portal)
    started = time.monotonic()

    page.set_input_files("#upload-input", str(path))
    page.wait_for_selector(".upload-item[data-state=done], .upload-item[data-state=error]", timeout=120_000)

    assert page.locator(".upload-item[data-state=error]").count() == 0
    assert time.monotonic() - started > 2 * LIFETIME
    assert sts_calls(short_portal) - before >= 2  # it did need fresh credentials on the way
    assert md5(short_portal.stored("users/alice/long.bin")) == md5(content)
    assert short_portal.uploads_in_progress("users/alice/long.bin") == []


def test_it_uploads_from_a_browser_whose_clock_is_15_minutes_fast(portal: Portal, page: Any) -> None:
    portal.user("alice")
    page.clock.install(time=datetime.now() + timedelta(minutes=15))
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    assert page.evaluate("() => Date.now()") > (time.time() + 14 * 60) * 1000

    page.set_input_files(
        "#upload-input", files=[{"name": "skewed.txt", "mimeType": "text/plain", "buffer": b"clock runs fast"}]
    )
    page.wait_for_selector(".upload-item[data-state=done], .upload-item[data-state=error]", timeout=60_000)

    assert page.locator(".upload-item[data-state=error]").count() == 0
    assert portal.stored("users/alice/skewed.txt") == b"clock runs fast"


@pytest.mark.parametrize("short_lived_cloud", [600], indirect=True)
def test_it_reuses_credentials_shorter_than_the_clocks_error(short_portal: Portal, page: Any) -> None:
    """Ten-minute credentials and a clock 15 minutes fast: reckoned by the device's clock every credential would
    look expired on arrival, and the SDK would ask for one per request."""
    short_portal.user("alice")
    sts_requests: list[str] = []
    page.on("request", lambda r: sts_requests.append(r.url) if r.url.endswith("/sts") else None)
    page.clock.install(time=datetime.now() + timedelta(minutes=15))
    login(page, short_portal, "alice")
    page.goto(objects_url(short_portal))

    page.set_input_files(
        "#upload-input",
        files=[{"name": f"skewed-{i}.txt", "mimeType": "text/plain", "buffer": b"x" * i} for i in range(1, 21)],
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.upload-item[data-state=done]').length === 20", timeout=60_000
    )

    assert len(sts_requests) <= 2
    assert short_portal.stored("users/alice/skewed-20.txt") == b"x" * 20
