"""Access control lists of buckets and objects: what a request sets (x-cos-acl, x-cos-grant-*, an
AccessControlPolicy body), what GET ?acl answers, and what an anonymous request may read.

Followed: Tencent's "ACL overview" (COS access management) and the PUT/GET Bucket acl and Object acl API references,
and what cos-python-sdk-v5 reads back (qcloud_cos.cos_comm.parse_object_canned_acl / parse_bucket_canned_acl: a
Grant to the group AllUsers with READ is public-read, with WRITE too public-read-write; an object whose answer has the
header `x-cos-acl: default` follows its bucket).

Stored as {"canned": <name or "">, "grants": [[grantee, permission], ...]}, grantee "uri:<group URI>" or
"id:qcs::cam::uin/<uin>:uin/<uin>". The owner's FULL_CONTROL is implied and never stored. An object without a stored
list is "default". Only anonymous requests are judged by ACLs here (and a copy's public source): signed requests are
judged by their CAM policies.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from localcloud.cos import xml
from localcloud.cos.errors import invalid_argument, malformed_xml
from localcloud.cos.storage import Acl

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# The canned ACLs the ACL overview lists for buckets and for objects.
BUCKET_CANNED = {"private", "public-read", "public-read-write", "authenticated-read"}
OBJECT_CANNED = {"default", "private", "public-read", "authenticated-read", "bucket-owner-read",
                 "bucket-owner-full-control"}  # fmt: skip
CANNED_GRANTS: dict[str, list[list[str]]] = {
    "private": [],
    "default": [],
    "public-read": [[f"uri:{ALL_USERS}", "READ"]],
    "public-read-write": [[f"uri:{ALL_USERS}", "READ"], [f"uri:{ALL_USERS}", "WRITE"]],
    # Authenticated users and the bucket owner's grants give anonymous callers nothing: not modelled further.
    "authenticated-read": [],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
}
GRANT_HEADERS = {
    "x-cos-grant-read": "READ",
    "x-cos-grant-write": "WRITE",
    "x-cos-grant-read-acp": "READ_ACP",
    "x-cos-grant-write-acp": "WRITE_ACP",
    "x-cos-grant-full-control": "FULL_CONTROL",
}
PERMISSIONS = set(GRANT_HEADERS.values())
_GRANTEE = re.compile(r'\s*(id|uri)\s*=\s*"([^"]*)"\s*')


def from_headers(headers: dict[str, str], *, for_object: bool) -> Acl | None:
    """The list an x-cos-acl or x-cos-grant-* header sets; None when the request sets none."""
    canned = headers.get("x-cos-acl")
    grants: list[list[str]] = []
    for header, permission in GRANT_HEADERS.items():
        if header in headers:
            grants += [[grantee, permission] for grantee in _grantees(header, headers[header])]
    if canned is None and not grants:
        return None
    if canned is not None:
        allowed = OBJECT_CANNED if for_object else BUCKET_CANNED
        if canned not in allowed:
            raise invalid_argument(f"x-cos-acl must be one of {', '.join(sorted(allowed))}, got {canned[:40]!r}.")
        grants = CANNED_GRANTS[canned] + grants
    return {"canned": canned or "", "grants": grants}


def _grantees(header: str, value: str) -> list[str]:
    """`id="qcs::cam::uin/1:uin/2",uri="http://cam.qcloud.com/groups/global/AllUsers"` -> ["id:...", "uri:..."]."""
    found = []
    for item in value.split(","):
        match = _GRANTEE.fullmatch(item)
        if match is None:
            raise invalid_argument(f'{header} must list id="..." or uri="..." grantees, got {value[:80]!r}.')
        found.append(f"{match[1]}:{_canonical(match[2]) if match[1] == 'id' else match[2]}")
    return found


def _canonical(grantee: str) -> str:
    """The references write header grantees as `id="<uin>"` (a root account) or `id="<uin>/<sub uin>"`, and
    bodies and answers as `qcs::cam::uin/<uin>:uin/<uin or sub uin>`: the stored form is the latter."""
    owner, _, sub = grantee.partition("/")
    if grantee.startswith("qcs::") or not owner.isdigit() or (sub and not sub.isdigit()):
        return grantee
    return f"qcs::cam::uin/{owner}:uin/{sub or owner}"


def from_body(data: bytes) -> Acl:
    """An <AccessControlPolicy> body (PUT ?acl without headers)."""
    root = xml.parse(data, "AccessControlPolicy")
    grants: list[list[str]] = []
    for container in xml.children(root, "AccessControlList"):
        for grant in xml.children(container, "Grant"):
            permission = xml.text(grant, "Permission")
            if permission not in PERMISSIONS:
                raise malformed_xml(f"<Permission> must be one of {', '.join(sorted(PERMISSIONS))}")
            grantees = xml.children(grant, "Grantee")
            if len(grantees) != 1:
                raise malformed_xml("every <Grant> needs one <Grantee>")
            uri, ident = xml.text(grantees[0], "URI"), xml.text(grantees[0], "ID")
            if not uri and not ident:
                raise malformed_xml("a <Grantee> needs an <ID> or a <URI>")
            grants.append([f"uri:{uri}" if uri else f"id:{ident}", permission])
    return {"canned": "", "grants": grants}


def anonymous_may(permission: str, acl: Acl | None) -> bool:
    """Whether the group AllUsers holds `permission` (or FULL_CONTROL) in the list."""
    if acl is None:
        return False
    grants = acl.get("grants")
    held = {grant[1] for grant in grants if grant[0] == f"uri:{ALL_USERS}"} if isinstance(grants, list) else set()
    return permission in held or "FULL_CONTROL" in held


def object_readable(object_acl: Acl | None, bucket_acl: Acl | None) -> bool:
    """An anonymous GET/HEAD of an object: its own list, or its bucket's when the object's is "default"."""
    if object_acl is None or object_acl.get("canned") == "default":
        return anonymous_may("READ", bucket_acl)
    return anonymous_may("READ", object_acl)


def document(acl: Acl | None, owner: list[tuple[str, str | int | None]]) -> bytes:
    """GET ?acl: the owner's FULL_CONTROL, then the stored grants."""
    owner_id = str(owner[0][1])
    grants: list[Element] = [_grant("CanonicalUser", [*owner], "FULL_CONTROL")]
    stored = acl.get("grants") if acl else None
    for grantee, permission in stored if isinstance(stored, list) else []:
        kind, _, value = grantee.partition(":")
        if kind == "uri":
            grants.append(_grant("Group", [("URI", value)], permission))
        elif value != owner_id or permission != "FULL_CONTROL":
            grants.append(_grant("CanonicalUser", [("ID", value), ("DisplayName", value)], permission))
    root = xml.build("AccessControlPolicy", xml.build("Owner", *owner), xml.build("AccessControlList", *grants))
    root.set("xmlns:xsi", XSI)
    return xml.document(root)


def _grant(kind: str, fields: list[tuple[str, str | int | None]], permission: str) -> Element:
    grantee = xml.build("Grantee", *fields)
    grantee.set("xsi:type", kind)
    return xml.build("Grant", grantee, ("Permission", permission))
