"""Secrets: after everything else has run, no SecretKey, temporary secret key, session token or API
token appears in anything the suite logged, in any page the portal rendered, or in the portal's database.

tests/hardening/secrets_plugin.py collects the secrets as they are created and captures logs, pages and database
dumps for the whole session; its pytest_collection_modifyitems hook moves this module to the very end of the run.
The first test here walks a journey that creates each kind of secret (with an account whose SecretKey is random, not
the public development key), the second proves the watch is not blind, the last one reads the verdict.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client

from localcloud.config import Config
from localcloud.server import RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization
from signer.models import CloudAccount
from tests.factories import DEMO_BUCKET, PASSWORD, REGION, make_account, make_policy, make_user
from tests.hardening import secrets_plugin
from tests.hardening.secrets_plugin import STATE

SECRET_ID = "AKIDHARDENINGSECRETSWATCH000001"


@pytest.fixture
def private_cloud(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> Iterator[tuple[RunningServer, str]]:
    """A localcloud whose root SecretKey is random: a real secret for the portal to keep."""
    secret_key = secrets.token_urlsafe(30)
    server = start_in_thread(
        Config(data_dir=tmp_path_factory.mktemp("secrets-cloud"), secret_id=SECRET_ID, secret_key=secret_key)
    )
    settings.LOCALCLOUD_URL = server.url
    settings.LOCALCLOUD_PUBLIC_URL = server.url
    host = {"host": f"{DEMO_BUCKET}.cos.{REGION}.localhost"}  # path style signs its bucket's virtual host
    auth = make_authorization(SECRET_ID, secret_key, "PUT", "", headers=host)
    created = requests.put(f"{server.url}/cos/{REGION}/{DEMO_BUCKET}/", headers={"Authorization": auth}, timeout=30)
    assert created.status_code == 200, created.text
    yield server, secret_key
    server.stop()


def test_it_walks_a_journey_that_creates_every_kind_of_secret(
    private_cloud: tuple[RunningServer, str], live_server: Any, transactional_db: None
) -> None:
    server, secret_key = private_cloud
    account = make_account(secret_id=SECRET_ID, secret_key=secret_key)
    assert STATE.known().get(secret_key) == "account secret key"
    alice = make_user("alice", policy=make_policy(account, name="read-write own prefix"))
    make_user("admin", is_superuser=True)

    # The app's way in: a token, then /sign, /sts, a scoped /sts, logout.
    api = requests.Session()
    token = api.post(f"{live_server.url}/api/auth/login", json={"username": "alice", "password": PASSWORD}).json()
    headers = {"Authorization": f"Token {token['token']}"}
    sign = api.get(f"{live_server.url}/sign", headers=headers).json()["data"]["credentials"]
    scope = {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/x"}
    scoped = api.post(f"{live_server.url}/sts", headers=headers, json={"scopes": [scope]}).json()["credentials"]
    for creds in (sign, scoped):
        assert STATE.known().get(creds["tmpSecretKey"]) == "temporary secret key"
        assert STATE.known().get(creds["sessionToken"]) == "session token"

    # The browser's way: every page, with an object to list and presign, and a token shown once.
    host = {"host": f"{DEMO_BUCKET}.cos.{REGION}.localhost"}
    auth = make_authorization(sign["tmpSecretId"], sign["tmpSecretKey"], "PUT", "users/alice/note.txt", headers=host)
    put = requests.put(
        f"{server.url}/cos/{REGION}/{DEMO_BUCKET}/users/alice/note.txt",
        data=b"note",
        headers={"Authorization": auth, "x-cos-security-token": sign["sessionToken"]},
        timeout=30,
    )
    assert put.status_code == 200, put.text
    browser = Client()
    browser.force_login(alice)
    for path in ("/", f"/regions/{REGION}/", f"/buckets/{REGION}/{DEMO_BUCKET}/", "/access/"):
        assert browser.get(path).status_code == 200, path
    created = browser.post("/access/tokens/")
    assert created.status_code == 302
    assert 'id="new-token"' in browser.get(created["Location"]).content.decode()  # shown once, after the redirect
    admin = Client()
    admin.force_login(make_user("charlie", is_superuser=True))
    assert admin.get(f"/admin/signer/cloudaccount/{account.pk}/change/").status_code == 200
    assert admin.get("/admin/signer/issuedcredential/").status_code == 200

    # Failures log warnings: STS refusing a wrong key (502), a key that STS does not know.
    wrong = make_account(name="wrong", secret_id=SECRET_ID, secret_key=secrets.token_urlsafe(30))
    charlie = make_user("bob", policy=make_policy(wrong, name="wrong keys"))
    refused = Client().get("/sign", HTTP_AUTHORIZATION=f"Token {_token(charlie)}")
    assert refused.status_code == 502
    assert api.post(f"{live_server.url}/api/auth/logout", headers=headers).status_code == 204

    secrets_plugin.scan_pages()
    findings = [*STATE.findings, *STATE.scan("database now", secrets_plugin.dump_database())]
    assert findings == [], [str(f) for f in findings]
    assert isinstance(CloudAccount.objects.get(pk=account.pk).secret_key_encrypted, str)


def _token(user: Any) -> str:
    from tests.factories import make_token

    return make_token(user)


def test_it_would_notice_a_leak_in_logs_pages_and_the_database(client: Client, transactional_db: None) -> None:
    planted = f"planted-{secrets.token_hex(16)}"
    STATE.add("planted secret", planted)
    try:
        logging.getLogger("tests.hardening").warning("oops: %s", planted)
        assert [f.kind for f in secrets_plugin.scan_logs() if f.kind == "planted secret"] == ["planted secret"]
        make_user(planted[:30])  # a username is rendered and stored
        page = STATE.scan("page", client.get("/accounts/login/", {"next": planted}).content.decode())
        assert [f.kind for f in page] == ["planted secret"]
        assert STATE.scan("database", secrets_plugin.dump_database()) == []  # shorter than the secret
        make_user(planted)
        assert [f.kind for f in STATE.scan("database", secrets_plugin.dump_database())] == ["planted secret"]
    finally:
        with STATE.lock:
            del STATE.secrets[planted]


def database_files() -> list[Path]:
    """The test database's files when it is SQLite on disk (tests/conftest.py), with its WAL: the bytes themselves."""
    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name.startswith(("file:", ":memory:")):
        return []
    return [path for path in (Path(name), Path(f"{name}-wal")) if path.exists()]


def test_it_leaked_no_secret_anywhere_during_the_whole_run(transactional_db: None) -> None:
    assert STATE.started
    secrets_plugin.scan_pages()
    findings = [*STATE.findings, *secrets_plugin.scan_logs()]
    findings += STATE.scan("database rows at the end", secrets_plugin.dump_database())
    for path in database_files():
        findings += STATE.scan(f"database file {path.name}", path.read_bytes().decode("latin-1"))
    kinds = set(STATE.known().values())
    assert {"account secret key", "temporary secret key", "session token", "API token"} <= kinds, kinds
    assert STATE.pages_seen > 0
    assert STATE.tables_dumped > 0
    assert findings == [], "\n".join(str(f) for f in findings[:20])
