"""A data directory written before objects and buckets had tags and ACLs opens as it was, and gains them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from localcloud.cos.storage import Storage

OLD_SCHEMA = """
CREATE TABLE buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL, created REAL NOT NULL, cors TEXT);
CREATE TABLE objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    headers TEXT NOT NULL, modified REAL NOT NULL, PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
"""


def test_it_opens_a_database_from_before_tags_and_acls(tmp_path: Path) -> None:
    root = tmp_path / "cos"
    root.mkdir()
    (root / "blobs" / "ab").mkdir(parents=True)
    (root / "blobs" / "ab" / "ab01").write_bytes(b"old body")
    db = sqlite3.connect(root / "meta.sqlite3")
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO buckets VALUES ('old-1250000000', 'ap-guangzhou', 1.0, NULL)")
    db.execute(
        "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("old-1250000000", "a.txt", "ab01", 8, '"e"', '{"Content-Type": "text/plain"}', 2.0),
    )
    db.commit()
    db.close()

    storage = Storage(root, clock=lambda: 3.0)
    bucket = storage.get_bucket("old-1250000000")
    assert bucket is not None
    assert (bucket.acl, bucket.tags) == (None, None)
    info = storage.get_object("old-1250000000", "a.txt")
    assert info is not None
    assert (info.tags, info.acl, info.headers) == ({}, None, {"Content-Type": "text/plain"})
    with storage.open_object(info) as body:
        assert body.read() == b"old body"
    assert storage.set_object_tags("old-1250000000", "a.txt", {"k": "v"}) is True
    storage.set_bucket_acl("old-1250000000", {"canned": "public-read", "grants": []})
    again = Storage(root, clock=lambda: 4.0)
    reopened = again.get_object("old-1250000000", "a.txt")
    assert reopened is not None
    assert reopened.tags == {"k": "v"}
    reopened_bucket = again.get_bucket("old-1250000000")
    assert reopened_bucket is not None
    assert reopened_bucket.acl == {"canned": "public-read", "grants": []}
