"""The account's CAM state: roles, custom policies, sub-users and their access keys, in SQLite.

It lives in the credential store's database (`<data>/credentials.sqlite3`) and is read on every request, so roles and
keys created through the CAM API are usable at once by STS and COS, with no restart, and survive one.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS cam_roles (
    role_id     TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    trust       TEXT NOT NULL,   -- the role's trust policy (PolicyDocument), JSON
    description TEXT NOT NULL,
    session_duration INTEGER NOT NULL,
    console_login INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cam_policies (
    policy_id   INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    document    TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cam_users (
    uin         INTEGER PRIMARY KEY,
    uid         INTEGER NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    remark      TEXT NOT NULL,
    console_login INTEGER NOT NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cam_access_keys (
    secret_id   TEXT PRIMARY KEY,
    secret_key  TEXT NOT NULL,
    uin         INTEGER NOT NULL,
    status      TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cam_attachments (
    kind        TEXT NOT NULL,   -- 'role' (target: role_id) or 'user' (target: uin)
    target      TEXT NOT NULL,
    policy_id   INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (kind, target, policy_id)
);
"""

FIRST_POLICY_ID = 200_000_000
# Nothing is allowed by an entity with no policy attached; a policy needs one statement, so this one says so.
NOTHING = {"version": "2.0", "statement": [{"effect": "deny", "action": ["*"], "resource": ["*"]}]}


@dataclass(frozen=True)
class Role:
    role_id: str
    name: str
    trust: dict[str, Any]
    description: str
    session_duration: int
    console_login: int
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Policy:
    policy_id: int
    name: str
    document: dict[str, Any]
    description: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class User:
    uin: int
    uid: int
    name: str
    remark: str
    console_login: int
    created_at: float


@dataclass(frozen=True)
class AccessKey:
    secret_id: str
    secret_key: str
    uin: int
    status: str
    description: str
    created_at: float


class NameInUse(Exception):
    """A role, policy or user of that name exists already."""


class Accounts:
    def __init__(self, connect: Callable[[], sqlite3.Connection], clock: Callable[[], float], owner_uin: str) -> None:
        self._connect = connect
        self._clock = clock
        self._owner_uin = int(owner_uin)
        connect().executescript(SCHEMA)

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._connect().execute(sql, args).fetchone()
        return row

    def _all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return list(self._connect().execute(sql, args).fetchall())

    def _returning(self, sql: str, *args: Any) -> tuple[Any, ...]:
        try:
            row: tuple[Any, ...] = self._connect().execute(sql, args).fetchone()
        except sqlite3.IntegrityError:
            raise NameInUse from None
        return row

    def _insert(self, sql: str, *args: Any) -> None:
        try:
            self._connect().execute(sql, args)
        except sqlite3.IntegrityError:
            raise NameInUse from None

    # --- roles -----------------------------------------------------------------------------------------------

    def create_role(
        self, *, name: str, trust: dict[str, Any], description: str, session_duration: int, console_login: int
    ) -> Role:
        now = self._clock()
        role_id = str(4611686018427387904 + secrets.randbelow(10**12))
        self._insert(
            "INSERT INTO cam_roles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            role_id,
            name,
            json.dumps(trust),
            description,
            session_duration,
            console_login,
            now,
            now,
        )
        return Role(role_id, name, trust, description, session_duration, console_login, now, now)

    def role(self, *, name: str | None = None, role_id: str | None = None) -> Role | None:
        column, value = ("name", name) if name is not None else ("role_id", role_id)
        row = self._one(f"SELECT * FROM cam_roles WHERE {column} = ?", value)  # noqa: S608 - fixed column names
        if row is None:
            return None
        return Role(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6], row[7])

    def set_trust(self, role: Role, trust: dict[str, Any]) -> None:
        self._connect().execute(
            "UPDATE cam_roles SET trust = ?, updated_at = ? WHERE role_id = ?",
            (json.dumps(trust), self._clock(), role.role_id),
        )

    def delete_role(self, role: Role) -> None:
        db = self._connect()
        db.execute("DELETE FROM cam_attachments WHERE kind = 'role' AND target = ?", (role.role_id,))
        db.execute("DELETE FROM cam_roles WHERE role_id = ?", (role.role_id,))

    # --- policies ----------------------------------------------------------------------------------------------

    def create_policy(self, *, name: str, document: dict[str, Any], description: str) -> Policy:
        now = self._clock()
        # The next id in the same statement as the insert, so two threads never pick the same one.
        row = self._returning(
            "INSERT INTO cam_policies SELECT COALESCE(MAX(policy_id) + 1, ?), ?, ?, ?, ?, ? FROM cam_policies "
            "RETURNING policy_id",
            FIRST_POLICY_ID,
            name,
            json.dumps(document),
            description,
            now,
            now,
        )
        return Policy(int(row[0]), name, document, description, now, now)

    def policy(self, *, policy_id: int | None = None, name: str | None = None) -> Policy | None:
        column, value = ("name", name) if name is not None else ("policy_id", policy_id)
        row = self._one(f"SELECT * FROM cam_policies WHERE {column} = ?", value)  # noqa: S608 - fixed column names
        return None if row is None else Policy(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5])

    def policies(self, keyword: str = "") -> list[Policy]:
        rows = self._all("SELECT * FROM cam_policies WHERE instr(name, ?) > 0 ORDER BY policy_id", keyword)
        return [Policy(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5]) for row in rows]

    def update_policy(self, policy: Policy, *, document: dict[str, Any] | None, description: str | None) -> None:
        self._connect().execute(
            "UPDATE cam_policies SET document = ?, description = ?, updated_at = ? WHERE policy_id = ?",
            (
                json.dumps(document if document is not None else policy.document),
                description if description is not None else policy.description,
                self._clock(),
                policy.policy_id,
            ),
        )

    def attach(self, kind: str, target: str, policy: Policy) -> None:
        self._connect().execute(
            "INSERT OR IGNORE INTO cam_attachments VALUES (?, ?, ?, ?)", (kind, target, policy.policy_id, self._clock())
        )

    def attached(self, kind: str, target: str) -> list[tuple[Policy, float]]:
        rows = self._all(
            "SELECT p.*, a.created_at FROM cam_attachments a JOIN cam_policies p ON p.policy_id = a.policy_id "
            "WHERE a.kind = ? AND a.target = ? ORDER BY a.created_at, p.policy_id",
            kind,
            target,
        )
        return [(Policy(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5]), row[6]) for row in rows]

    def effective_policy(self, kind: str, target: str) -> dict[str, Any]:
        """The attached policies as one: CAM allows what any allows unless any denies, which is their statements'
        union in one document."""
        statements = [s for policy, _ in self.attached(kind, target) for s in policy.document.get("statement", [])]
        return {"version": "2.0", "statement": statements} if statements else NOTHING

    # --- users and keys ----------------------------------------------------------------------------------------

    def add_user(self, *, name: str, remark: str, console_login: int) -> User:
        now = self._clock()
        while True:
            uin = 100_000_000_000 + secrets.randbelow(900_000_000_000)
            if uin != self._owner_uin and self.user(uin=uin) is None:
                break
        user = User(uin, 10_000_000 + secrets.randbelow(90_000_000), name, remark, console_login, now)
        self._insert("INSERT INTO cam_users VALUES (?, ?, ?, ?, ?, ?)", *vars(user).values())
        return user

    def user(self, *, name: str | None = None, uin: int | None = None) -> User | None:
        column, value = ("name", name) if name is not None else ("uin", uin)
        row = self._one(f"SELECT * FROM cam_users WHERE {column} = ?", value)  # noqa: S608 - fixed column names
        return None if row is None else User(*row)

    def create_access_key(self, user: User, description: str) -> AccessKey:
        key = AccessKey(
            secret_id="AKID" + secrets.token_hex(16).upper(),
            secret_key=secrets.token_urlsafe(24),
            uin=user.uin,
            status="Active",
            description=description,
            created_at=self._clock(),
        )
        self._insert("INSERT INTO cam_access_keys VALUES (?, ?, ?, ?, ?, ?)", *vars(key).values())
        return key

    def access_keys(self, user: User) -> list[AccessKey]:
        rows = self._all("SELECT * FROM cam_access_keys WHERE uin = ? ORDER BY created_at", user.uin)
        return [AccessKey(*row) for row in rows]

    def access_key(self, secret_id: str) -> AccessKey | None:
        row = self._one("SELECT * FROM cam_access_keys WHERE secret_id = ?", secret_id)
        return None if row is None else AccessKey(*row)
