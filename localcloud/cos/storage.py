"""Buckets, objects and multipart uploads on disk.

Layout under `<data_dir>/cos/`:

    meta.sqlite3        metadata (WAL): buckets, objects keyed by (bucket, key), uploads, parts, segments
    blobs/ab/<id>       object and part bodies, named by a random id (never by key, so a key cannot escape)
    tmp/<id>            bodies being received; same filesystem as blobs/, so os.replace is atomic

A body is streamed into tmp/, fsynced, renamed into blobs/, and only then is its metadata row committed; the body it
replaces is deleted after that commit. A crash at any point leaves either the old object or the new one, never a
partial one. At startup tmp/ is emptied and blobs no row refers to are deleted.

A completed multipart upload is not copied: the object's body is a manifest (`blob` = "m<id>") whose segments, in
order, are the part bodies themselves, already fsynced when each part was stored. CompleteMultipartUpload moves them
from the upload to the object in one transaction, so it costs no data copy and no flush, whatever the object's size.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.cos.errors import CosError, invalid_argument

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
RECEIVE_CHUNK = 1024 * 1024
MAX_KEY_BYTES = 850
SCAN_BATCH = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name     TEXT PRIMARY KEY,
    region   TEXT NOT NULL,
    created  REAL NOT NULL,
    cors     TEXT            -- JSON list of CORS rules, NULL when none
);
CREATE TABLE IF NOT EXISTS objects (
    bucket   TEXT NOT NULL,
    key      TEXT NOT NULL,  -- BINARY collation: UTF-8 byte order, as COS lists
    blob     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    etag     TEXT NOT NULL,  -- with the quotes, as sent in the ETag header
    headers  TEXT NOT NULL,  -- JSON object: Content-Type, Cache-Control, ..., x-cos-meta-*
    modified REAL NOT NULL,
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
# objects.blob of a body made of segments (blob ids are hexadecimal, so never start with it).
MANIFEST = "m"


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created: float
    cors: list[dict[str, list[str] | str]] | None


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    blob: str
    size: int
    etag: str
    headers: dict[str, str]
    modified: float


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    headers: dict[str, str]


@dataclass(frozen=True)
class Part:
    number: int
    blob: str
    size: int
    etag: str
    modified: float


@dataclass(frozen=True)
class Received:
    """A body streamed to a temporary file, not yet visible anywhere."""

    path: Path
    size: int
    md5: bytes


@dataclass(frozen=True)
class ListEntry:
    key: str
    obj: ObjectInfo | None  # None for a common prefix


def check_key(key: str) -> None:
    """Object keys: 1-850 bytes of UTF-8 without NUL."""
    if "\x00" in key:
        raise invalid_argument("Object keys must not contain the NUL character.")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise CosError(400, "KeyTooLong", f"Your key is too long: at most {MAX_KEY_BYTES} bytes of UTF-8.")


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no such bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


class Storage:
    def __init__(self, root: Path, clock: Callable[[], float]) -> None:
        self.root = root
        self.clock = clock
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        for folder in (self.root, self.blobs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._path = root / "meta.sqlite3"
        self._local = threading.local()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        self._clean()

    # --- plumbing -------------------------------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _clean(self) -> None:
        """Startup: drop bodies that never made it (tmp/) and bodies no row refers to (a crash between steps)."""
        for leftover in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        used = {
            row[0]
            for row in self._db().execute(
                "SELECT blob FROM objects UNION ALL SELECT blob FROM parts UNION ALL SELECT blob FROM segments"
            )
        }
        for shard in self.blobs.iterdir():
            if not shard.is_dir():
                continue
            for blob in shard.iterdir():
                if blob.name not in used:
                    log.info("removing orphaned body %s", blob.name)
                    with contextlib.suppress(FileNotFoundError):
                        blob.unlink()

    def blob_path(self, blob: str) -> Path:
        return self.blobs / blob[:2] / blob

    def _remove_blob(self, blob: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.blob_path(blob).unlink()

    def _release(self, db: sqlite3.Connection, blob: str) -> list[str]:
        """Inside a write: forget an object's body; the body files to delete once the write is committed."""
        if not blob.startswith(MANIFEST):
            return [blob]
        files = [row[0] for row in db.execute("SELECT blob FROM segments WHERE manifest = ?", (blob,))]
        db.execute("DELETE FROM segments WHERE manifest = ?", (blob,))
        return files

    def receive(self, stream: BinaryIO, length: int | None, on_bytes: Callable[[int], None]) -> Received:
        """Stream a request body into a temporary file, never holding it whole in memory.

        Read in RECEIVE_CHUNK pieces; from the second piece on, the MD5 of one piece runs in a helper thread while
        the next is read and written (hashlib releases the GIL on large buffers), so hashing costs no wall time.
        With a Content-Length, a shorter body raises IncompleteBody and nothing is kept.
        """
        path = self.tmp / secrets.token_hex(16)
        md5 = hashlib.md5()  # noqa: S324 - the protocol's ETag
        size = 0
        pool: ThreadPoolExecutor | None = None
        pending: Future[None] | None = None
        try:
            with open(path, "wb", buffering=0) as out:
                while length is None or size < length:
                    want = RECEIVE_CHUNK if length is None else min(RECEIVE_CHUNK, length - size)
                    chunk = stream.read(want)
                    if not chunk:
                        break
                    if pending is not None:
                        pending.result()
                    if size == 0 and (length is None or length <= len(chunk)):
                        md5.update(chunk)  # one piece: not worth a thread
                    else:
                        if pool is None:
                            pool = ThreadPoolExecutor(1, thread_name_prefix="md5")
                        pending = pool.submit(md5.update, chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[out.write(view) :]
                    size += len(chunk)
                    on_bytes(len(chunk))
                if pending is not None:
                    pending.result()
                if length is not None and size < length:
                    raise CosError(
                        400,
                        "IncompleteBody",
                        f"You did not provide the number of bytes specified by the Content-Length header: "
                        f"received {size} of {length}.",
                    )
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        return Received(path, size, md5.digest())

    def discard(self, received: Received) -> None:
        with contextlib.suppress(FileNotFoundError):
            received.path.unlink()

    def _place(self, received: Received) -> str:
        """Move a received body into blobs/ under a fresh random id (atomic rename on the same filesystem)."""
        blob = secrets.token_hex(16)
        target = self.blob_path(blob)
        target.parent.mkdir(exist_ok=True)
        os.replace(received.path, target)
        _fsync_dir(target.parent)
        return blob

    # --- buckets --------------------------------------------------------------------------------------------------

    def create_bucket(self, name: str, region: str) -> bool:
        """False when the bucket already exists."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                return False
            db.execute("INSERT INTO buckets VALUES (?, ?, ?, NULL)", (name, region, self.clock()))
        return True

    def get_bucket(self, name: str) -> Bucket | None:
        row = self._db().execute("SELECT name, region, created, cors FROM buckets WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return Bucket(row[0], row[1], row[2], json.loads(row[3]) if row[3] else None)

    def list_buckets(self) -> list[Bucket]:
        rows = self._db().execute("SELECT name, region, created, cors FROM buckets ORDER BY name").fetchall()
        return [Bucket(r[0], r[1], r[2], json.loads(r[3]) if r[3] else None) for r in rows]

    def delete_bucket(self, name: str) -> str:
        """ "deleted", "missing" or "not-empty" (objects or unfinished multipart uploads)."""
        with self._write() as db:
            if not db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                return "missing"
            if db.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return "not-empty"
            if db.execute("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return "not-empty"
            db.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return "deleted"

    def set_cors(self, name: str, rules: list[dict[str, list[str] | str]] | None) -> None:
        with self._write() as db:
            db.execute("UPDATE buckets SET cors = ? WHERE name = ?", (json.dumps(rules) if rules else None, name))

    # --- objects --------------------------------------------------------------------------------------------------

    def get_object(self, bucket: str, key: str) -> ObjectInfo | None:
        row = (
            self._db()
            .execute(
                "SELECT blob, size, etag, headers, modified FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
            )
            .fetchone()
        )
        if row is None:
            return None
        return ObjectInfo(bucket, key, row[0], row[1], row[2], json.loads(row[3]), row[4])

    def put_object(self, bucket: str, key: str, received: Received, etag: str, headers: dict[str, str]) -> ObjectInfo:
        """Make a received body the object at (bucket, key); the previous body is deleted after the commit."""
        blob = self._place(received)
        now = self.clock()
        try:
            with self._write() as db:
                if not db.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
                    raise CosError(404, "NoSuchBucket", f"The specified bucket {bucket} does not exist.")
                old = db.execute("SELECT blob FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
                garbage = self._release(db, old[0]) if old is not None else []
                db.execute(
                    "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (bucket, key, blob, received.size, etag, json.dumps(headers), now),
                )
        except BaseException:
            self._remove_blob(blob)
            raise
        for body in garbage:
            self._remove_blob(body)
        return ObjectInfo(bucket, key, blob, received.size, etag, headers, now)

    def seed(self, bucket: str, objects: Iterable[tuple[str, bytes]], content_type: str = "text/plain") -> int:
        """Many small objects at once, for tests and benchmarks: bodies written, one os.sync(), one transaction.

        Keys are checked like uploads; existing keys are replaced. Returns how many objects were stored.
        """
        now = self.clock()
        rows = []
        replaced: list[str] = []
        for key, body in objects:
            check_key(key)
            blob = secrets.token_hex(16)
            path = self.blob_path(blob)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(body)
            etag = f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - the protocol's ETag
            rows.append((bucket, key, blob, len(body), etag, json.dumps({"Content-Type": content_type}), now))
        os.sync()
        with self._write() as db:
            if not db.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
                raise CosError(404, "NoSuchBucket", f"The specified bucket {bucket} does not exist.")
            for row in rows:
                old = db.execute("SELECT blob FROM objects WHERE bucket = ? AND key = ?", (bucket, row[1])).fetchone()
                if old is not None:
                    replaced += self._release(db, old[0])
            db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        for blob in replaced:
            self._remove_blob(blob)
        return len(rows)

    def delete_object(self, bucket: str, key: str) -> None:
        with self._write() as db:
            old = db.execute("SELECT blob FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
            garbage = self._release(db, old[0]) if old is not None else []
            db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        for body in garbage:
            self._remove_blob(body)

    def open_object(self, info: ObjectInfo) -> BinaryIO:
        """The object's body, seekable. FileNotFoundError if it was replaced or deleted since `info` was read."""
        if not info.blob.startswith(MANIFEST):
            return open(self.blob_path(info.blob), "rb")
        segments = [
            (self.blob_path(blob), size)
            for blob, size in self._db().execute(
                "SELECT blob, size FROM segments WHERE manifest = ? ORDER BY seq", (info.blob,)
            )
        ]
        if not segments and info.size:
            raise FileNotFoundError(info.blob)
        return io.BufferedReader(Concatenated(segments), buffer_size=CHUNK)

    def _scan(self, bucket: str, low: str, inclusive: bool, high: str | None) -> Generator[ObjectInfo, None, None]:
        """Up to SCAN_BATCH rows from `low`, decoded one by one as the caller consumes them: a caller that stops
        after the first row (a jump over a folder) costs one index seek and one row, not a batch."""
        low_bound = ">= ?" if inclusive else "> ?"
        sql = f"SELECT key, blob, size, etag, headers, modified FROM objects WHERE bucket = ? AND key {low_bound}"  # noqa: S608
        args: list[object] = [bucket, low]
        if high is not None:
            sql += " AND key < ?"
            args.append(high)
        sql += " ORDER BY key LIMIT ?"
        args.append(SCAN_BATCH)
        cursor = self._db().execute(sql, args)
        try:
            for r in cursor:
                yield ObjectInfo(bucket, r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
        finally:
            cursor.close()

    def iter_listing(self, bucket: str, prefix: str, delimiter: str, marker: str) -> Iterator[ListEntry]:
        """Keys and common prefixes after `marker`, in UTF-8 byte order; each range scan uses the primary key."""
        high = successor(prefix) if prefix else None
        if marker >= prefix:
            low, inclusive = marker, False
        else:
            low, inclusive = prefix, True
        while True:
            rows = self._scan(bucket, low, inclusive, high)
            jumped = False
            seen = 0
            for obj in rows:
                seen += 1
                rest = obj.key[len(prefix) :]
                if delimiter and delimiter in rest:
                    common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                    if not (marker and marker.startswith(common)):
                        yield ListEntry(common, None)
                    after = successor(common)
                    if after is None:
                        return
                    low, inclusive, jumped = after, True, True
                    rows.close()  # the next folder is one seek away: stop reading this batch
                    break
                yield ListEntry(obj.key, obj)
                low, inclusive = obj.key, False
            if not jumped and seen < SCAN_BATCH:
                return

    # --- multipart ------------------------------------------------------------------------------------------------

    def create_upload(self, bucket: str, key: str, headers: dict[str, str]) -> Upload:
        now = self.clock()
        upload_id = f"{int(now)}{secrets.token_hex(20)}"
        with self._write() as db:
            db.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, ?)", (upload_id, bucket, key, now, json.dumps(headers)))
        return Upload(upload_id, bucket, key, now, headers)

    def get_upload(self, upload_id: str) -> Upload | None:
        row = (
            self._db()
            .execute("SELECT bucket, key, initiated, headers FROM uploads WHERE upload_id = ?", (upload_id,))
            .fetchone()
        )
        if row is None:
            return None
        return Upload(upload_id, row[0], row[1], row[2], json.loads(row[3]))

    def list_uploads(self, bucket: str, prefix: str) -> list[Upload]:
        high = successor(prefix) if prefix else None
        sql = "SELECT upload_id, key, initiated, headers FROM uploads WHERE bucket = ? AND key >= ?"
        args: list[object] = [bucket, prefix]
        if high is not None:
            sql += " AND key < ?"
            args.append(high)
        sql += " ORDER BY key, upload_id"
        rows = self._db().execute(sql, args).fetchall()
        return [Upload(r[0], bucket, r[1], r[2], json.loads(r[3])) for r in rows]

    def put_part(self, upload_id: str, number: int, received: Received, etag: str) -> bool:
        """False when the upload no longer exists (aborted or completed meanwhile); nothing is kept then."""
        blob = self._place(received)
        try:
            with self._write() as db:
                if not db.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                    self._remove_blob(blob)
                    return False
                old = db.execute(
                    "SELECT blob FROM parts WHERE upload_id = ? AND number = ?", (upload_id, number)
                ).fetchone()
                db.execute(
                    "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?, ?)",
                    (upload_id, number, blob, received.size, etag, self.clock()),
                )
        except BaseException:
            self._remove_blob(blob)
            raise
        if old is not None:
            self._remove_blob(old[0])
        return True

    def list_parts(self, upload_id: str, after: int = 0, limit: int = 10000) -> list[Part]:
        rows = (
            self._db()
            .execute(
                "SELECT number, blob, size, etag, modified FROM parts WHERE upload_id = ? AND number > ? "
                "ORDER BY number LIMIT ?",
                (upload_id, after, limit),
            )
            .fetchall()
        )
        return [Part(*row) for row in rows]

    def complete_upload(
        self, upload: Upload, parts: list[Part], etag: str, headers: dict[str, str]
    ) -> ObjectInfo | None:
        """Make the parts, in this order, the object's body (a manifest: nothing copied) and drop the upload.

        None if the upload vanished meanwhile; CosError InvalidPart if one of the parts was replaced since `parts`
        was read. Parts uploaded but not chosen, and the body the object had, are deleted after the commit."""
        manifest = MANIFEST + secrets.token_hex(16)
        size = sum(part.size for part in parts)
        now = self.clock()
        with self._write() as db:
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
            old = db.execute(
                "SELECT blob FROM objects WHERE bucket = ? AND key = ?", (upload.bucket, upload.key)
            ).fetchone()
            if old is not None:
                garbage += self._release(db, old[0])
            db.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?)",
                [(manifest, seq, part.blob, part.size) for seq, part in enumerate(parts)],
            )
            db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload.bucket, upload.key, manifest, size, etag, json.dumps(headers), now),
            )
            db.execute("DELETE FROM parts WHERE upload_id = ?", (upload.upload_id,))
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
        for blob in garbage:
            self._remove_blob(blob)
        return ObjectInfo(upload.bucket, upload.key, manifest, size, etag, headers, now)

    def abort_upload(self, upload_id: str) -> bool:
        with self._write() as db:
            if not db.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                return False
            blobs = [r[0] for r in db.execute("SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))]
            db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
        for blob in blobs:
            self._remove_blob(blob)
        return True


class Concatenated(io.RawIOBase):
    """The segments of a multipart object read as one seekable file; each segment file is opened when reached.

    A segment deleted meanwhile (the object replaced while it is read) raises FileNotFoundError at that point: the
    answer then ends short of its Content-Length, which clients detect."""

    def __init__(self, segments: list[tuple[Path, int]]) -> None:
        super().__init__()
        self._segments = segments
        self._starts = list(itertools.accumulate((size for _, size in segments), initial=0))
        self._size = self._starts[-1]
        self._position = 0
        self._index = -1
        self._file: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        if index != self._index or self._file is None:
            self._close_file()
            self._file = open(self._segments[index][0], "rb", buffering=0)  # noqa: SIM115 - kept open while reading
            self._index = index
        start, end = self._starts[index], self._starts[index + 1]
        self._file.seek(self._position - start)
        view = memoryview(buffer)[: end - self._position]
        read = self._file.readinto(view)  # type: ignore[attr-defined]
        if not read:
            raise OSError(f"segment {self._segments[index][0].name} is shorter than recorded")
        self._position += read
        return int(read)

    def close(self) -> None:
        self._close_file()
        super().close()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
