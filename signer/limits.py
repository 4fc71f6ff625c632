"""A policy's upload limits (size, content types, client networks, no overwriting) turned into CAM conditions.

COS judges a condition on each request by itself: `cos:content-length` is the Content-Length of the request being
authorised and `cos:content-type` its Content-Type. That makes a size or type condition exact on a single upload
(PutObject, up to 5 GB; PostObject, whose form body is at least the file) and meaningless on a multipart upload,
whose parts can each be small and whose completion is a small XML document. So a policy with a size or type limit
hands out credentials for single uploads only: the multipart write actions (and copies and appends, which would
build an object from requests that carry no size) are left out of its allow statements and denied outright, and the
limit is a condition on PutObject and PostObject. Clients upload with PutObject under such a policy (no resumable
multipart); policies without a size or type limit keep multipart uploads.

"No overwriting" demands the header `x-cos-forbid-overwrite: true` (condition key `cos:x-cos-forbid-overwrite`) on
every request that creates an object: PutObject, PostObject, InitiateMultipartUpload, CompleteMultipartUpload and
PutObjectCopy. Client networks (`qcs:ip`) apply to every request. Allow statements are split so that other actions
in the same statement (GetObject, listing...) are not held to conditions they cannot meet; wildcard actions are
expanded to the operations qcloud knows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from qcloud import policy as cam
from qcloud.operations import OPERATIONS

# Single uploads, where COS holds a request's Content-Length and Content-Type to the object it creates.
SIZE_ACTIONS = frozenset({"name/cos:PutObject", "name/cos:PostObject"})
TYPE_ACTIONS = SIZE_ACTIONS
# What a size- or type-limited policy never grants: requests that add to an object without carrying its size or type.
UNLIMITED_WRITES = (
    "name/cos:InitiateMultipartUpload",
    "name/cos:UploadPart",
    "name/cos:CompleteMultipartUpload",
    "name/cos:UploadPartCopy",
    "name/cos:PutObjectCopy",
    "name/cos:AppendObject",
)
# Requests that create an object, each of which must say x-cos-forbid-overwrite: true under "no overwriting".
CREATING_ACTIONS = frozenset(
    {
        "name/cos:PutObject",
        "name/cos:PostObject",
        "name/cos:InitiateMultipartUpload",
        "name/cos:CompleteMultipartUpload",
        "name/cos:PutObjectCopy",
    }
)
# Appending changes an existing object whatever the header says.
OVERWRITING_ACTIONS = ("name/cos:AppendObject",)
# Every COS action the portal knows: the operations qcloud models, and PostObject (browser form uploads).
KNOWN_ACTIONS = (*(f"name/cos:{operation}" for operation in OPERATIONS), "name/cos:PostObject")


class LimitsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.replace("\n", ",").split(",") if item.strip())


@dataclass(frozen=True)
class Limits:
    max_object_size: int | None = None
    content_types: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    forbid_overwrite: bool = False

    @classmethod
    def from_fields(
        cls,
        *,
        max_object_size: int | None,
        allowed_content_types: str,
        allowed_networks: str,
        forbid_overwrite: bool = False,
    ) -> Limits:
        types = _split(allowed_content_types or "")
        for content_type in types:
            if "/" not in content_type or " " in content_type:
                raise LimitsError(
                    "allowed_content_types",
                    _("%(value)s is not a content type like image/png or image/*") % {"value": repr(content_type)},
                )
        networks = _split(allowed_networks or "")
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise LimitsError(
                    "allowed_networks",
                    _("%(value)s is not an IP address or a CIDR network like 203.0.113.0/24")
                    % {"value": repr(network)},
                ) from None
        if max_object_size is not None and max_object_size < 1:
            raise LimitsError("max_object_size", _("the maximum object size must be at least 1 byte"))
        return cls(
            max_object_size=max_object_size, content_types=types, networks=networks, forbid_overwrite=forbid_overwrite
        )

    def __bool__(self) -> bool:
        return self.single_uploads_only or bool(self.networks) or self.forbid_overwrite

    @property
    def single_uploads_only(self) -> bool:
        """A size or type limit holds only on single uploads (see the module's docstring)."""
        return self.max_object_size is not None or bool(self.content_types)

    def excluded(self) -> tuple[str, ...]:
        """The actions these limits never grant."""
        return (UNLIMITED_WRITES if self.single_uploads_only else ()) + (
            OVERWRITING_ACTIONS if self.forbid_overwrite else ()
        )

    def conditions_for(self, action: str) -> tuple[cam.Condition, ...]:
        conditions: list[cam.Condition] = []
        if self.max_object_size is not None and action in SIZE_ACTIONS:
            conditions.append(
                cam.Condition("numeric_less_than_equal", cam.CONTENT_LENGTH, (str(self.max_object_size),))
            )
        if self.content_types and action in TYPE_ACTIONS:
            operator = "string_like" if any("*" in t for t in self.content_types) else "string_equal"
            conditions.append(cam.Condition(operator, cam.CONTENT_TYPE, self.content_types))
        if self.forbid_overwrite and action in CREATING_ACTIONS:
            conditions.append(cam.Condition("string_equal", cam.FORBID_OVERWRITE, ("true",)))
        return tuple(conditions)

    def describe(self) -> list[str]:
        """The limits in plain words (the demo's "My access" page shows them)."""
        lines = []
        if self.max_object_size is not None:
            lines.append(_("Uploads of at most %(size)s") % {"size": format_size(self.max_object_size)})
        if self.content_types:
            types = pgettext("list separator", ", ").join(self.content_types)
            lines.append(_("Only files of type %(types)s") % {"types": types})
        if self.networks:
            networks = pgettext("list separator", ", ").join(self.networks)
            lines.append(_("Only from the networks %(networks)s") % {"networks": networks})
        if self.single_uploads_only:
            lines.append(_("Each file in a single upload (no multipart uploads)"))
        if self.forbid_overwrite:
            lines.append(_("Never replacing an existing file"))
        return lines


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return _bytes(size) if unit == "bytes" else f"{value:g} {unit}"
        value /= 1024
    return _bytes(size)  # pragma: no cover


def _bytes(size: int) -> str:
    return ngettext("%(count)d byte", "%(count)d bytes", size) % {"count": size}


def _expand(actions: tuple[str, ...]) -> tuple[str, ...]:
    expanded: list[str] = []
    for pattern in actions:
        matches = [a for a in KNOWN_ACTIONS if cam.action_matches(pattern, a)] if "*" in pattern else [pattern]
        expanded.extend(a for a in matches if a not in expanded)
    return tuple(expanded)


def apply(policy: cam.Policy, limits: Limits) -> cam.Policy:
    if not limits:
        return policy
    network = (cam.Condition("ip_equal", cam.CLIENT_IP, limits.networks),) if limits.networks else ()
    excluded = limits.excluded()
    statements: list[cam.Statement] = []
    for statement in policy.statements:
        if statement.effect != "allow":
            statements.append(statement)
            continue
        needs_split = limits.single_uploads_only or limits.forbid_overwrite
        actions = _expand(statement.actions) if needs_split else statement.actions
        groups: dict[tuple[cam.Condition, ...], list[str]] = {}
        for action in actions:
            if action not in excluded:
                groups.setdefault(limits.conditions_for(action), []).append(action)
        for extra, grouped in groups.items():
            statements.append(
                cam.Statement(
                    effect="allow",
                    actions=tuple(grouped),
                    resources=statement.resources,
                    conditions=statement.conditions + extra + network,
                )
            )
    if excluded:
        # Left out of the allow statements above; denied as well, so that no other statement (a literal action the
        # expansion kept, a scope) can bring them back.
        statements.append(cam.Statement(effect="deny", actions=excluded, resources=("*",), conditions=()))
    return cam.Policy(statements=tuple(statements), version=policy.version)
