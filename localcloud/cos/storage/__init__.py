"""COS storage on disk: metadata in SQLite (schema), bodies as files (bodies), listing scans (listing), records
handed to the handlers (records), and the Storage that ties them together (store).

Layout under `<data_dir>/cos/`: meta.sqlite3 (WAL: buckets, objects keyed by (bucket, key), uploads, parts,
segments), blobs/ab/<id> (bodies named by a random id), tmp/<id> (bodies being received).
"""

from localcloud.cos.storage.bodies import Received
from localcloud.cos.storage.records import (
    Acl,
    Bucket,
    ListEntry,
    ObjectInfo,
    ObjectSettings,
    Part,
    Tags,
    Upload,
    check_key,
)
from localcloud.cos.storage.store import Storage

__all__ = [
    "Acl",
    "Bucket",
    "ListEntry",
    "ObjectInfo",
    "ObjectSettings",
    "Part",
    "Received",
    "Storage",
    "Tags",
    "Upload",
    "check_key",
]
