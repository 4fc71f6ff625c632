"""The metadata database: its tables, one connection per thread, and write transactions."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name     TEXT PRIMARY KEY,
    region   TEXT NOT NULL,
    created  REAL NOT NULL,
    cors     TEXT,           -- JSON list of CORS rules, NULL when none
    acl      TEXT,           -- JSON access control list (acl.py), NULL: private
    tags     TEXT            -- JSON object of the bucket's tags, NULL when none
);
CREATE TABLE IF NOT EXISTS objects (
    bucket   TEXT NOT NULL,
    key      TEXT NOT NULL,  -- BINARY collation: UTF-8 byte order, as COS lists
    blob     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    etag     TEXT NOT NULL,  -- with the quotes, as sent in the ETag header
    headers  TEXT NOT NULL,  -- JSON object: Content-Type, Cache-Control, ..., x-cos-meta-*
    modified REAL NOT NULL,
    tags     TEXT,           -- JSON object of the object's tags, NULL when none
    acl      TEXT,           -- JSON access control list (acl.py), NULL: "default" (the bucket's)
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket    TEXT NOT NULL,
    key       TEXT NOT NULL,
    initiated REAL NOT NULL,
    headers   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    number    INTEGER NOT NULL,
    blob      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    etag      TEXT NOT NULL,
    modified  REAL NOT NULL,
    PRIMARY KEY (upload_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
    manifest TEXT NOT NULL,  -- an objects.blob starting with MANIFEST
    seq      INTEGER NOT NULL,
    blob     TEXT NOT NULL,  -- a part body, now the object's
    size     INTEGER NOT NULL,
    PRIMARY KEY (manifest, seq)
) WITHOUT ROWID;
"""
# Columns added after the first release: a database written before them gains them, NULL (no tags, default ACL).
ADDED_COLUMNS = {"buckets": ("acl", "tags"), "objects": ("tags", "acl")}
# objects.blob of a body made of segments (blob ids are hexadecimal, so never start with it).
MANIFEST = "m"


class Database:
    """meta.sqlite3 in WAL mode, with synchronous=FULL: a committed row survives a power cut."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        db = self.connection()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        for table, columns in ADDED_COLUMNS.items():
            present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so two writers never deadlock on an upgrade."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def release(self, db: sqlite3.Connection, blob: str) -> list[str]:
        """Inside a write: forget an object's body; the body files to delete once the write is committed."""
        if not blob.startswith(MANIFEST):
            return [blob]
        files = [row[0] for row in db.execute("SELECT blob FROM segments WHERE manifest = ?", (blob,))]
        db.execute("DELETE FROM segments WHERE manifest = ?", (blob,))
        return files

    def used_blobs(self) -> set[str]:
        return {
            row[0]
            for row in self.connection().execute(
                "SELECT blob FROM objects UNION ALL SELECT blob FROM parts UNION ALL SELECT blob FROM segments"
            )
        }
