"""Who is calling: the root account, a sub-account, or temporary credentials issued by STS.

Temporary credentials persist in SQLite next to the object metadata, so a restart keeps them valid.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.accounts import Accounts
from localcloud.config import Config

SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    secret_id   TEXT PRIMARY KEY,
    secret_key  TEXT NOT NULL,
    token       TEXT NOT NULL,
    policies    TEXT NOT NULL,   -- JSON list of CAM policies; a request must be allowed by every one of them
    name        TEXT NOT NULL,
    expires_at  REAL NOT NULL,
    created_at  REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Principal:
    secret_id: str
    secret_key: str
    # The session token temporary credentials must present (x-cos-security-token / X-TC-Token); None for permanent keys.
    token: str | None
    # CAM policies as JSON strings; a request must be allowed by every one (root: none, it may do everything).
    policies: tuple[str, ...]
    expires_at: float | None
    is_root: bool
    name: str
    # The CAM sub-user a key created through the CAM API belongs to (trust policies may name it).
    uin: int | None = None

    @property
    def is_temporary(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class IssuedCredentials:
    secret_id: str
    secret_key: str
    token: str
    expires_at: int


class CredentialStore:
    def __init__(self, config: Config) -> None:
        self.config = config
        path = Path(config.data_dir) / "credentials.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        self.accounts = Accounts(self._connect, config.clock, config.uin)

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            self._local.db = db
        return db

    def lookup(self, secret_id: str) -> Principal | None:
        """The principal a SecretId belongs to, or None when it is unknown. Expiry is the caller's check."""
        # As bytes: compare_digest refuses a str with non-ASCII characters, and a client may send any.
        given = secret_id.encode("utf-8", "surrogatepass")
        if secrets.compare_digest(given, self.config.secret_id.encode("utf-8", "surrogatepass")):
            return Principal(secret_id, self.config.secret_key, None, (), None, True, "root")
        sub = self.config.subaccounts.get(secret_id)
        if sub is not None:
            key, policy = sub
            return Principal(secret_id, key, None, (json.dumps(policy),), None, False, f"sub:{secret_id}")
        if not secret_id.isascii():  # issued ids are "AKID" + hex (and SQLite refuses lone surrogates)
            return None
        access_key = self.accounts.access_key(secret_id)
        if access_key is not None:
            active = access_key.status == "Active"
            return self._sub_user(secret_id, access_key.secret_key, access_key.uin) if active else None
        row = (
            self._connect()
            .execute(
                "SELECT secret_key, token, policies, expires_at, name FROM credentials WHERE secret_id = ?",
                (secret_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        policies = tuple(json.dumps(policy) for policy in json.loads(row[2]))
        return Principal(secret_id, row[0], row[1], policies, row[3], False, row[4])

    def _sub_user(self, secret_id: str, secret_key: str, uin: int) -> Principal | None:
        user = self.accounts.user(uin=uin)
        if user is None:
            return None
        policy = json.dumps(self.accounts.effective_policy("user", str(uin)))
        return Principal(secret_id, secret_key, None, (policy,), None, False, f"user:{user.name}", uin)

    def issue(self, *, name: str, policies: list[dict[str, Any]], duration: int) -> IssuedCredentials:
        now = self.config.clock()
        creds = IssuedCredentials(
            secret_id="AKID" + secrets.token_hex(16).upper(),
            secret_key=secrets.token_urlsafe(24),
            token=secrets.token_urlsafe(96),
            expires_at=int(now) + duration,
        )
        self._connect().execute(
            "INSERT INTO credentials VALUES (?, ?, ?, ?, ?, ?, ?)",
            (creds.secret_id, creds.secret_key, creds.token, json.dumps(policies), name, creds.expires_at, now),
        )
        return creds
