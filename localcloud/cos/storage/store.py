"""Buckets, objects and multipart uploads: the metadata rows (schema.py) and the bodies they name (bodies.py).

A body is streamed into tmp/, fsynced, renamed into blobs/, and only then is its metadata row committed; the body it
replaces is deleted after that commit. A crash at any point leaves either the old object or the new one, never a
partial one. At startup tmp/ is emptied and blobs no row refers to are deleted.

A completed multipart upload is not copied: the object's body is a manifest (`blob` = "m<id>") whose segments, in
order, are the part bodies themselves, already fsynced when each part was stored. CompleteMultipartUpload moves them
from the upload to the object in one transaction, so it costs no data copy and no flush, whatever the object's size.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.cos.errors import CosError, no_such_bucket
from localcloud.cos.storage.bodies import Bodies, Received
from localcloud.cos.storage.listing import iter_listing, list_uploads
from localcloud.cos.storage.records import (
    Acl,
    Bucket,
    CorsRules,
    ListEntry,
    ObjectInfo,
    ObjectSettings,
    Part,
    Tags,
    Upload,
)
from localcloud.cos.storage.schema import MANIFEST, Database

_OBJECT_ROW = (
    "INSERT OR REPLACE INTO objects (bucket, key, blob, size, etag, headers, modified, tags, acl) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PLAIN_ROW = (
    "INSERT OR REPLACE INTO objects (bucket, key, blob, size, etag, headers, modified) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_BUCKET_COLUMNS = "name, region, created, cors, acl, tags"
_OBJECT_COLUMNS = "blob, size, etag, headers, modified, tags, acl"


def _json(value: object) -> str | None:
    return json.dumps(value) if value else None


def _bucket(row: Any) -> Bucket:
    return Bucket(
        row[0],
        row[1],
        row[2],
        json.loads(row[3]) if row[3] else None,
        json.loads(row[4]) if row[4] else None,
        json.loads(row[5]) if row[5] else None,
    )


def _object(bucket: str, key: str, row: Any) -> ObjectInfo:
    tags = json.loads(row[5]) if row[5] else {}
    return ObjectInfo(
        bucket, key, row[0], row[1], row[2], json.loads(row[3]), row[4], tags, json.loads(row[6] or "null")
    )


def _require_bucket(db: sqlite3.Connection, name: str) -> None:
    if not db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
        raise no_such_bucket(name)


def _old_body(db: sqlite3.Connection, bucket: str, key: str) -> str | None:
    row = db.execute("SELECT blob FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
    return None if row is None else str(row[0])


class Storage:
    """`<data_dir>/cos/`: meta.sqlite3 (metadata, WAL), blobs/ and tmp/ (bodies)."""

    def __init__(self, root: Path, clock: Callable[[], float]) -> None:
        self.root = root
        self.clock = clock
        self.bodies = Bodies(root)
        self.db = Database(root / "meta.sqlite3")
        self.bodies.clean(self.db.used_blobs())

    @property
    def blobs(self) -> Path:
        return self.bodies.blobs

    @property
    def tmp(self) -> Path:
        return self.bodies.tmp

    def blob_path(self, blob: str) -> Path:
        return self.bodies.path(blob)

    def receive(self, stream: BinaryIO, length: int | None, on_bytes: Callable[[int], None]) -> Received:
        return self.bodies.receive(stream, length, on_bytes)

    def discard(self, received: Received) -> None:
        self.bodies.discard(received)

    def _replace_body(self, db: sqlite3.Connection, bucket: str, key: str) -> list[str]:
        """Inside a write: the body files the object at (bucket, key) leaves behind once it is replaced."""
        old = _old_body(db, bucket, key)
        return self.db.release(db, old) if old is not None else []

    def _remove(self, blobs: list[str]) -> None:
        for blob in blobs:
            self.bodies.remove(blob)

    # Buckets.

    def create_bucket(self, name: str, region: str) -> bool:
        """False when the bucket already exists."""
        with self.db.write() as db:
            if db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                return False
            db.execute("INSERT INTO buckets (name, region, created) VALUES (?, ?, ?)", (name, region, self.clock()))
        return True

    def get_bucket(self, name: str) -> Bucket | None:
        db = self.db.connection()
        row = db.execute(f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE name = ?", (name,)).fetchone()  # noqa: S608
        return None if row is None else _bucket(row)

    def list_buckets(self) -> list[Bucket]:
        rows = self.db.connection().execute(f"SELECT {_BUCKET_COLUMNS} FROM buckets ORDER BY name")  # noqa: S608
        return [_bucket(row) for row in rows.fetchall()]

    def delete_bucket(self, name: str) -> str:
        """ "deleted", "missing" or "not-empty" (objects or unfinished multipart uploads)."""
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                return "missing"
            if db.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return "not-empty"
            if db.execute("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return "not-empty"
            db.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return "deleted"

    def set_cors(self, name: str, rules: CorsRules | None) -> None:
        with self.db.write() as db:
            db.execute("UPDATE buckets SET cors = ? WHERE name = ?", (json.dumps(rules) if rules else None, name))

    def set_bucket_acl(self, name: str, acl: Acl | None) -> None:
        with self.db.write() as db:
            db.execute("UPDATE buckets SET acl = ? WHERE name = ?", (_json(acl), name))

    def set_bucket_tags(self, name: str, tags: Tags | None) -> None:
        with self.db.write() as db:
            db.execute("UPDATE buckets SET tags = ? WHERE name = ?", (_json(tags), name))

    # Objects.

    def get_object(self, bucket: str, key: str) -> ObjectInfo | None:
        row = (
            self.db.connection()
            .execute(f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?", (bucket, key))  # noqa: S608
            .fetchone()
        )
        return None if row is None else _object(bucket, key, row)

    def put_object(
        self,
        bucket: str,
        key: str,
        received: Received,
        etag: str,
        headers: dict[str, str],
        settings: ObjectSettings | None = None,
    ) -> ObjectInfo:
        """Make a received body the object at (bucket, key); the previous body is deleted after the commit."""
        blob = self.bodies.place(received)
        return self._commit_object(bucket, key, blob, [], received.size, etag, headers, settings or ObjectSettings())

    def copy_object(
        self, source: ObjectInfo, bucket: str, key: str, headers: dict[str, str], settings: ObjectSettings
    ) -> ObjectInfo:
        """The source object's body, shared (bodies.link: a hard link, no data read) as the object at (bucket, key).

        FileNotFoundError when the source was replaced or deleted since `source` was read."""
        if source.blob.startswith(MANIFEST):
            segments = self._segments(source.blob)
            if not segments and source.size:
                raise FileNotFoundError(source.blob)
            linked: list[tuple[str, int]] = []
            try:
                for blob, size in segments:
                    linked.append((self.bodies.link(blob), size))
            except BaseException:
                self._remove([blob for blob, _ in linked])
                raise
            manifest = MANIFEST + secrets.token_hex(16)
            return self._commit_object(bucket, key, manifest, linked, source.size, source.etag, headers, settings)
        blob = self.bodies.link(source.blob)
        return self._commit_object(bucket, key, blob, [], source.size, source.etag, headers, settings)

    def _commit_object(
        self,
        bucket: str,
        key: str,
        blob: str,
        segments: list[tuple[str, int]],
        size: int,
        etag: str,
        headers: dict[str, str],
        settings: ObjectSettings,
    ) -> ObjectInfo:
        """The row of a body already in blobs/ (a plain body, or a manifest of `segments`); on failure the body goes."""
        now = self.clock()
        row = (bucket, key, blob, size, etag, json.dumps(headers), now, _json(settings.tags), _json(settings.acl))
        try:
            with self.db.write() as db:
                _require_bucket(db, bucket)
                garbage = self._replace_body(db, bucket, key)
                db.executemany(
                    "INSERT INTO segments VALUES (?, ?, ?, ?)",
                    [(blob, seq, part, part_size) for seq, (part, part_size) in enumerate(segments)],
                )
                db.execute(_OBJECT_ROW, row)
        except BaseException:
            self._remove([part for part, _ in segments] if segments else [blob])
            raise
        self._remove(garbage)
        return ObjectInfo(bucket, key, blob, size, etag, headers, now, dict(settings.tags or {}), settings.acl)

    def set_object_tags(self, bucket: str, key: str, tags: Tags | None) -> bool:
        """False when the object does not exist (any more)."""
        with self.db.write() as db:
            changed = db.execute(
                "UPDATE objects SET tags = ? WHERE bucket = ? AND key = ?", (_json(tags), bucket, key)
            ).rowcount
        return bool(changed)

    def set_object_acl(self, bucket: str, key: str, acl: Acl | None) -> bool:
        with self.db.write() as db:
            changed = db.execute(
                "UPDATE objects SET acl = ? WHERE bucket = ? AND key = ?", (_json(acl), bucket, key)
            ).rowcount
        return bool(changed)

    def put_rows(self, bucket: str, rows: list[tuple[str, str, str, int, str, str, float]]) -> None:
        """Object rows whose bodies are already in blobs/ (and synced), in one transaction; replaced bodies go."""
        garbage: list[str] = []
        with self.db.write() as db:
            _require_bucket(db, bucket)
            for row in rows:
                garbage += self._replace_body(db, bucket, row[1])
            db.executemany(_PLAIN_ROW, rows)
        self._remove(garbage)

    def delete_object(self, bucket: str, key: str) -> None:
        with self.db.write() as db:
            garbage = self._replace_body(db, bucket, key)
            db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        self._remove(garbage)

    def open_object(self, info: ObjectInfo) -> BinaryIO:
        """The object's body, seekable. FileNotFoundError if it was replaced or deleted since `info` was read."""
        if not info.blob.startswith(MANIFEST):
            return self.bodies.open(info.blob)
        segments = self._segments(info.blob)
        if not segments and info.size:
            raise FileNotFoundError(info.blob)
        return self.bodies.open_segments(segments)

    def _segments(self, manifest: str) -> list[tuple[str, int]]:
        return [
            (str(blob), int(size))
            for blob, size in self.db.connection().execute(
                "SELECT blob, size FROM segments WHERE manifest = ? ORDER BY seq", (manifest,)
            )
        ]

    def iter_listing(self, bucket: str, prefix: str, delimiter: str, marker: str) -> Iterator[ListEntry]:
        return iter_listing(self.db.connection(), bucket, prefix, delimiter, marker)

    # Multipart uploads.

    def create_upload(self, bucket: str, key: str, headers: dict[str, str]) -> Upload:
        now = self.clock()
        upload_id = f"{int(now)}{secrets.token_hex(20)}"
        with self.db.write() as db:
            db.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, ?)", (upload_id, bucket, key, now, json.dumps(headers)))
        return Upload(upload_id, bucket, key, now, headers)

    def get_upload(self, upload_id: str) -> Upload | None:
        row = (
            self.db.connection()
            .execute("SELECT bucket, key, initiated, headers FROM uploads WHERE upload_id = ?", (upload_id,))
            .fetchone()
        )
        if row is None:
            return None
        return Upload(upload_id, row[0], row[1], row[2], json.loads(row[3]))

    def list_uploads(self, bucket: str, prefix: str) -> list[Upload]:
        return list_uploads(self.db.connection(), bucket, prefix)

    def put_part(self, upload_id: str, number: int, received: Received, etag: str) -> bool:
        """False when the upload no longer exists (aborted or completed meanwhile); nothing is kept then."""
        blob = self.bodies.place(received)
        try:
            with self.db.write() as db:
                if not db.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                    self.bodies.remove(blob)
                    return False
                old = db.execute(
                    "SELECT blob FROM parts WHERE upload_id = ? AND number = ?", (upload_id, number)
                ).fetchone()
                db.execute(
                    "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?, ?)",
                    (upload_id, number, blob, received.size, etag, self.clock()),
                )
        except BaseException:
            self.bodies.remove(blob)
            raise
        if old is not None:
            self.bodies.remove(old[0])
        return True

    def list_parts(self, upload_id: str, after: int = 0, limit: int = 10000) -> list[Part]:
        rows = (
            self.db.connection()
            .execute(
                "SELECT number, blob, size, etag, modified FROM parts WHERE upload_id = ? AND number > ? "
                "ORDER BY number LIMIT ?",
                (upload_id, after, limit),
            )
            .fetchall()
        )
        return [Part(*row) for row in rows]

    def complete_upload(
        self, upload: Upload, parts: list[Part], etag: str, headers: dict[str, str], settings: ObjectSettings
    ) -> ObjectInfo | None:
        """Make the parts, in this order, the object's body (a manifest: nothing copied) and drop the upload.

        None if the upload vanished meanwhile; CosError InvalidPart if one of the parts was replaced since `parts`
        was read. Parts uploaded but not chosen, and the body the object had, are deleted after the commit."""
        manifest = MANIFEST + secrets.token_hex(16)
        size = sum(part.size for part in parts)
        now = self.clock()
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)).fetchone():
                return None
            current = dict(db.execute("SELECT number, blob FROM parts WHERE upload_id = ?", (upload.upload_id,)))
            for part in parts:
                if current.get(part.number) != part.blob:
                    raise CosError(
                        400,
                        "InvalidPart",
                        f"One or more of the specified parts could not be found or the ETag did not match: part "
                        f"{part.number} was replaced while the upload was being completed.",
                    )
            chosen = {part.number for part in parts}
            garbage = [blob for number, blob in current.items() if number not in chosen]
            garbage += self._replace_body(db, upload.bucket, upload.key)
            db.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?)",
                [(manifest, seq, part.blob, part.size) for seq, part in enumerate(parts)],
            )
            db.execute(
                _OBJECT_ROW,
                (
                    upload.bucket,
                    upload.key,
                    manifest,
                    size,
                    etag,
                    json.dumps(headers),
                    now,
                    _json(settings.tags),
                    _json(settings.acl),
                ),
            )
            db.execute("DELETE FROM parts WHERE upload_id = ?", (upload.upload_id,))
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
        self._remove(garbage)
        return ObjectInfo(
            upload.bucket, upload.key, manifest, size, etag, headers, now, settings.tags or {}, settings.acl
        )

    def abort_upload(self, upload_id: str) -> bool:
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                return False
            blobs = [r[0] for r in db.execute("SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))]
            db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
        self._remove(blobs)
        return True
