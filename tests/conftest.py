"""Fixtures every part of the suite shares: a running localcloud and a headless Chromium.

Everything is real: localcloud is served by cheroot on a free loopback port, and the browser is Debian's chromium
driven by Playwright. Nothing here skips: a missing browser is a failure CI must show.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.utils import translation

from localcloud.config import Config
from localcloud.server import RunningServer, start_in_thread
from qcloud.endpoints import local_origin_source
from signer.models import CloudAccount
from tests.api import Api
from tests.factories import make_account

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The secrets watch: every secret the suite creates is looked for in its logs, pages and database.
pytest_plugins = ["tests.hardening.secrets_plugin"]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def localcloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One localcloud for the session, with the well-known development root keys."""
    server = start_in_thread(Config(data_dir=tmp_path_factory.mktemp("localcloud")))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def isolated_cache(settings: Any) -> Iterator[str]:
    """A cache of its own for every test (credential cache, single-flight locks, throttles), on locmem or Redis."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches = {name: dict(config) for name, config in django_settings.CACHES.items()}
    default = caches["default"]
    redis = "redis" in default["BACKEND"].lower()
    if redis:
        default["KEY_PREFIX"] = prefix
    else:
        default["LOCATION"] = prefix
    settings.CACHES = caches
    yield prefix
    if redis:
        # Through a backend of our own: the test may have pointed CACHES at a Redis it has since stopped.
        from django_redis.cache import RedisCache

        params = {name: value for name, value in default.items() if name not in {"BACKEND", "LOCATION"}}
        own = RedisCache(default["LOCATION"], params)
        own.delete_pattern("*")  # only this test's prefix
        own.close()


@pytest.fixture(scope="session")
def empty_static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("static")


@pytest.fixture(autouse=True)
def static_files_unhashed(settings: Any, empty_static_root: Path) -> None:
    """Pages link plain /static/ names, served from the finders: the hashed copies exist only after collectstatic,
    which the deployment tests (tests/deploy/) run as a deployment does. Nothing collected earlier into the
    checkout's STATIC_ROOT is served instead."""
    settings.STATIC_ROOT = empty_static_root
    settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: a page request in another language leaves that language active
    in the thread (LocaleMiddleware activates it and nothing resets it), and would leak into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def audit_drained_by_the_test(settings: Any) -> None:
    """With SIGNER_AUDIT=outbox (the Redis pass), audit rows reach the database when a test calls
    signer.audit.drain(), never from a drainer thread writing outside the test's transaction."""
    settings.SIGNER_AUDIT_DRAIN_INTERVAL = 0


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and other things a person looks at after a run (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def cloud(localcloud: RunningServer, settings: object) -> RunningServer:
    """Point the portal (signer, demo, CSP) at the session's localcloud."""
    settings.LOCALCLOUD_URL = localcloud.url  # type: ignore[attr-defined]
    settings.LOCALCLOUD_PUBLIC_URL = localcloud.url  # type: ignore[attr-defined]
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])  # type: ignore[attr-defined]
    for name in ("img-src", "connect-src", "media-src", "frame-src"):
        directives[name] = [*directives.get(name, ["'self'"]), local_origin_source(localcloud.url)]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}  # type: ignore[attr-defined]
    return localcloud


@pytest.fixture
def account(cloud: RunningServer, transactional_db: None) -> CloudAccount:
    """The localcloud account, on a database that live_server's threads share (tests/demo uses its own)."""
    return make_account(cloud)


@pytest.fixture
def api(live_server: Any) -> Iterator[Api]:
    client = Api(live_server.url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite tests use a database file, not Django's shared in-memory database.

    The live server's threads write concurrently (the credential audit of parallel uploads): a shared-cache memory
    database refuses that at once with "database table is locked", a file in WAL mode waits its turn (settings'
    timeout), as the real one does. One file per session, so parallel runs in one checkout do not collide.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


# --- The portal's usual cast: the demo bucket, the "read-write own prefix" policy, alice and bob. Each area defines
# `account` (demo pages need only `db`; the signer and hardening tests serve live, so `transactional_db`).


@pytest.fixture
def stats(localcloud: RunningServer) -> Any:
    """localcloud's request counters, read over HTTP: snapshot() -> {"sts:GetFederationToken": 3, ...}."""

    def snapshot() -> dict[str, int]:
        response = requests.get(f"{localcloud.url}/_localcloud/stats", timeout=5)
        response.raise_for_status()
        counts: dict[str, int] = response.json()["counts"]
        return counts

    return snapshot


@pytest.fixture
def bucket(cloud: RunningServer) -> str:
    from tests.factories import DEMO_BUCKET, make_bucket

    return make_bucket(cloud, DEMO_BUCKET)


@pytest.fixture
def policy(account: Any, bucket: str) -> Any:
    from tests.factories import make_policy

    return make_policy(account, name="read-write own prefix", bucket=bucket)


@pytest.fixture
def alice(policy: Any) -> Any:
    from tests.factories import make_user

    return make_user("alice", policy=policy)


@pytest.fixture
def bob(policy: Any) -> Any:
    from tests.factories import make_user

    return make_user("bob", policy=policy)


@pytest.fixture
def alice_token(alice: Any) -> str:
    from tests.factories import make_token

    return make_token(alice)


@pytest.fixture
def bob_token(bob: Any) -> str:
    from tests.factories import make_token

    return make_token(bob)
