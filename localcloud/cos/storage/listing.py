"""Listing keys in UTF-8 byte order with prefix, delimiter and marker, one primary-key range scan at a time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Iterator

from localcloud.cos.storage.records import ListEntry, ObjectInfo, Upload

SCAN_BATCH = 1000


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


def _scan(
    db: sqlite3.Connection, bucket: str, low: str, inclusive: bool, high: str | None
) -> Generator[ObjectInfo, None, None]:
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
    cursor = db.execute(sql, args)
    try:
        for r in cursor:
            yield ObjectInfo(bucket, r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
    finally:
        cursor.close()


def iter_listing(db: sqlite3.Connection, bucket: str, prefix: str, delimiter: str, marker: str) -> Iterator[ListEntry]:
    """Keys and common prefixes after `marker`, in UTF-8 byte order; each range scan uses the primary key."""
    high = successor(prefix) if prefix else None
    if marker >= prefix:
        low, inclusive = marker, False
    else:
        low, inclusive = prefix, True
    while True:
        rows = _scan(db, bucket, low, inclusive, high)
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


def list_uploads(db: sqlite3.Connection, bucket: str, prefix: str) -> list[Upload]:
    high = successor(prefix) if prefix else None
    sql = "SELECT upload_id, key, initiated, headers FROM uploads WHERE bucket = ? AND key >= ?"
    args: list[object] = [bucket, prefix]
    if high is not None:
        sql += " AND key < ?"
        args.append(high)
    sql += " ORDER BY key, upload_id"
    rows = db.execute(sql, args).fetchall()
    return [Upload(r[0], bucket, r[1], r[2], json.loads(r[3])) for r in rows]
