"""A pytest plugin that watches the whole test session for leaked secrets: logs never hold a secret key,
a temporary secret key or a session token, and neither do pages or the database.

Register it for the whole suite with `pytest_plugins = ["tests.hardening.secrets_plugin"]` in tests/conftest.py
(tests/hardening/conftest.py also registers it when it is loaded, which happens during collection of a full run).

What it collects, as the suite creates them:
- every CloudAccount SecretKey (post_save on the model, read in plaintext through the model's property),
- every temporary secret key and session token: from signer.sts (what STS gave the portal), from localcloud's
  CredentialStore.issue (what the emulator handed out in this process), and from /sign and /sts answers,
- every knox API token handed out by /api/auth/login or the "My access" page (the answers that show it once are
  exempt; every other page, log line and database row is searched for it).

Where it looks:
- logs: a handler on the root logger writes everything logged (after the portal's redaction filter, as the
  configured console handler does) to a file for the session,
- pages: every response Django's handler produces (test Client and live_server alike), except the answers whose
  job is to carry the secret (/sign, /sts, /api/auth/login, the token-creation page); a session token may appear in
  a page only as the `x-cos-security-token` of a presigned URL (that is how downloads work),
- the database: after every test that used it, every row of every table, dumped as text.

tests/hardening/test_zz_secrets.py (moved to the end of the session) asserts that nothing was found.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

NAME = "tests.hardening.secrets_plugin"
LAST_MODULE = "test_zz_secrets.py"
# Answers whose purpose is to deliver a secret to its owner.
CARRIERS = re.compile(r"^/(sign|sts|api/auth/login|access/tokens/)$")
MIN_LENGTH = 8


@dataclass
class Finding:
    where: str  # "log", "page GET /path", "database table x"
    kind: str  # "account secret key", ...
    context: str  # where exactly, without the secret

    def __str__(self) -> str:
        return f"{self.kind} found in {self.where}: {self.context}"


@dataclass
class Watch:
    """Everything the plugin knows; one instance per session (module global `STATE`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    secrets: dict[str, str] = field(default_factory=dict)  # value -> kind
    log_path: Path | None = None
    pages: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    findings: list[Finding] = field(default_factory=list)
    pages_seen: int = 0
    tables_dumped: int = 0
    started: bool = False

    def add(self, kind: str, *values: Any) -> None:
        with self.lock:
            for value in values:
                if isinstance(value, str) and len(value) >= MIN_LENGTH:
                    self.secrets.setdefault(value, kind)

    def known(self) -> dict[str, str]:
        with self.lock:
            return dict(self.secrets)

    def scan(self, where: str, text: str, *, allow_presigned_tokens: bool = False) -> list[Finding]:
        found = []
        for value, kind in self.known().items():
            if value not in text:
                continue
            haystack = text
            if allow_presigned_tokens and kind == "session token":
                haystack = re.sub(r"x-cos-security-token=" + re.escape(value), "", haystack)
                haystack = haystack.replace(f"x-cos-security-token={_quote(value)}", "")
                if value not in haystack:
                    continue
            index = haystack.index(value)
            context = haystack[max(0, index - 60) : index].replace("\n", " ")
            found.append(Finding(where, kind, f"...{context}[SECRET]"))
        return found


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


STATE = Watch()


# ---------------------------------------------------------------------------------------------------- collecting


def _watch_accounts() -> None:
    from django.db.models.signals import post_save

    from signer.models import CloudAccount

    def saved(sender: Any, instance: Any, **kwargs: Any) -> None:
        try:
            STATE.add("account secret key", instance.secret_key)
        except Exception:  # noqa: BLE001 - an unreadable secret (test of a dropped key) is simply not collected
            return

    post_save.connect(saved, sender=CloudAccount, weak=False, dispatch_uid=NAME)


def _watch_sts() -> None:
    """Wrap what hands out temporary credentials. Missing hooks (renamed code) only mean fewer secrets collected: the
    /sign and /sts answers still feed the watch; the final test checks that every kind was seen."""
    from localcloud.credentials import CredentialStore
    from signer import sts

    original_credentials = getattr(sts, "_credentials", None)
    if original_credentials is not None:

        def credentials(response: Any) -> Any:
            result = original_credentials(response)
            STATE.add("temporary secret key", getattr(result, "tmp_secret_key", None))
            STATE.add("session token", getattr(result, "session_token", None))
            return result

        sts._credentials = credentials

    original_issue = getattr(CredentialStore, "issue", None)
    if original_issue is None:
        return

    def issue(self: Any, *args: Any, **kwargs: Any) -> Any:
        issued = original_issue(self, *args, **kwargs)
        STATE.add("temporary secret key", getattr(issued, "secret_key", None))
        STATE.add("session token", getattr(issued, "token", None))
        return issued

    CredentialStore.issue = issue  # type: ignore[method-assign]


def _from_answer(path: str, content: bytes) -> None:
    """Secrets delivered by the carrier answers: remember them, so they are looked for everywhere else."""
    try:
        body = json.loads(content)
    except ValueError:
        if path == "/access/tokens/":
            for token in re.findall(rb"\b[0-9a-f]{64}\b", content):
                STATE.add("API token", token.decode())
        return
    if not isinstance(body, dict):
        return
    creds = body.get("credentials") or (body.get("data") or {}).get("credentials") or {}
    if isinstance(creds, dict):
        STATE.add("temporary secret key", creds.get("tmpSecretKey"))
        STATE.add("session token", creds.get("sessionToken"))
    if path == "/api/auth/login":
        STATE.add("API token", body.get("token"))


def _watch_responses() -> None:
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.get_response

    def get_response(self: Any, request: Any) -> Any:
        response = original(self, request)
        try:
            if getattr(response, "streaming", False):
                return response
            content = bytes(response.content)
            path = request.path_info
            if CARRIERS.match(path):
                _from_answer(path, content)
                return response
            text = content.decode("utf-8", errors="replace")
            where = f"page {request.method} {path} ({response.status_code})"
            with STATE.lock:
                STATE.pages_seen += 1
                STATE.pages.append((where, text))
        except Exception:  # noqa: BLE001, S110 - watching must never change what the suite sees
            pass
        return response

    BaseHandler.get_response = get_response  # type: ignore[method-assign]


def _watch_logs() -> None:
    from signer.logging import RedactSecretsFilter

    folder = Path(tempfile.mkdtemp(prefix="hardening-logs-"))
    STATE.log_path = folder / "session.log"
    handler = logging.FileHandler(STATE.log_path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    # What the configured handlers write: through the portal's redaction filter (it is the defence under test).
    handler.addFilter(RedactSecretsFilter())
    logging.getLogger().addHandler(handler)


def start() -> None:
    if STATE.started:
        return
    STATE.started = True
    _watch_logs()
    _watch_accounts()
    _watch_sts()
    _watch_responses()


# ------------------------------------------------------------------------------------------------------ database


def dump_database() -> str:
    """Every row of every table of the default database, as text."""
    from django.db import connection

    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from the db
            for row in cursor.fetchall():
                lines.append(f"{table}: " + " | ".join(_text(value) for value in row))
            STATE.tables_dumped += 1
    return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _scan_database(item: pytest.Item) -> None:
    from pytest_django.plugin import blocking_manager_key

    blocker = item.config.stash[blocking_manager_key]
    try:
        with blocker.unblock():
            text = dump_database()
    except Exception:  # noqa: BLE001 - a test that broke the database on purpose leaves nothing to scan
        return
    findings = STATE.scan(f"database after {item.nodeid}", text)
    with STATE.lock:
        STATE.findings.extend(findings)


def scan_pages() -> None:
    with STATE.lock:
        pages, STATE.pages = STATE.pages, []
    for where, text in pages:
        findings = STATE.scan(where, text, allow_presigned_tokens=True)
        with STATE.lock:
            STATE.findings.extend(findings)


def scan_logs() -> list[Finding]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    if STATE.log_path is None or not STATE.log_path.exists():
        return []
    return STATE.scan(f"log {STATE.log_path}", STATE.log_path.read_text(encoding="utf-8", errors="replace"))


# --------------------------------------------------------------------------------------------------------- hooks

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    start()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The secrets check runs after everything else, whatever folder it lives in."""
    last = [item for item in items if item.path.name == LAST_MODULE]
    if last:
        items[:] = [item for item in items if item.path.name != LAST_MODULE] + last


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    # Before the fixtures' finalizers: the test's rows are still in the database.
    if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
        _scan_database(item)
    scan_pages()
    yield


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not STATE.started:
        return
    terminalreporter.write_sep(
        "-",
        f"secrets watch: {len(STATE.secrets)} secrets collected, {STATE.pages_seen} pages and "
        f"{STATE.tables_dumped} table dumps scanned, {len(STATE.findings)} findings",
    )
