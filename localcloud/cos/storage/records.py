"""What storage hands back: buckets, objects, uploads and parts as frozen records, and the rule for object keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from localcloud.cos.errors import CosError, invalid_argument

MAX_KEY_BYTES = 850

CorsRules = list[dict[str, list[str] | str]]
Tags = dict[str, str]
# An access control list as stored: {"canned": name or "", "grants": [[grantee, permission], ...]} (see cos/acl.py).
Acl = dict[str, object]


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created: float
    cors: CorsRules | None
    acl: Acl | None = None
    tags: Tags | None = None


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    blob: str
    size: int
    etag: str
    headers: dict[str, str]
    modified: float
    tags: Tags = field(default_factory=dict)
    acl: Acl | None = None  # None: "default", the bucket's


@dataclass(frozen=True)
class ObjectSettings:
    """What an object keeps beside its headers: its tags and its access control list (None: "default")."""

    tags: Tags | None = None
    acl: Acl | None = None


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
class ListEntry:
    key: str
    obj: ObjectInfo | None  # None for a common prefix


def check_key(key: str) -> None:
    """Object keys: 1-850 bytes of UTF-8 without NUL."""
    if "\x00" in key:
        raise invalid_argument("Object keys must not contain the NUL character.")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise CosError(400, "KeyTooLong", f"Your key is too long: at most {MAX_KEY_BYTES} bytes of UTF-8.")
