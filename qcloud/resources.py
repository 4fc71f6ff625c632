"""COS resource names, built and split in one place.

    qcs::cos:<region>:uid/<appid>:<bucket-appid>/<key-or-prefix>

A bucket is named with an empty key ("photos-1250000000/"), an object or a prefix pattern with its key
("photos-1250000000/users/alice/*"). Policies may write any part as a glob ("qcs::cos:*:uid/1250000000:*") or, in
templates, with variables ("uid/${appid}"); `parse_resource` splits those too, without judging them.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcloud.glob import glob_match

SERVICE = "qcs"
COS = "cos"


def resource_name(region: str, appid: str, bucket: str, key: str = "") -> str:
    """The CAM resource of a bucket ("<bucket-appid>/") or of an object or prefix in it."""
    return f"{SERVICE}::{COS}:{region}:uid/{appid}:{bucket}/{key}"


@dataclass(frozen=True)
class CosResource:
    """A COS resource name or pattern, split into its parts.

    `key` is None when nothing follows the bucket part (patterns like "...:photos-*" that name no "/").
    """

    region: str
    owner: str  # "uid/<appid>", or a pattern
    bucket: str
    key: str | None

    @property
    def appid(self) -> str | None:
        return self.owner[len("uid/") :] if self.owner.startswith("uid/") else None

    def __str__(self) -> str:
        path = self.bucket if self.key is None else f"{self.bucket}/{self.key}"
        return f"{SERVICE}::{COS}:{self.region}:{self.owner}:{path}"

    def key_prefix_in(self, *, region: str, appid: str, bucket: str) -> str | None:
        """The key prefix this pattern grants in `bucket` ("" = all of it), or None when it does not cover it.

        "<bucket>/users/alice/*" grants "users/alice/"; "<bucket>/" (the bucket itself: listing) grants the whole
        bucket; one exact key grants nothing to browse or upload under.
        """
        if self.region and not glob_match(self.region, region):
            return None
        if self.owner and not glob_match(self.owner, f"uid/{appid}"):
            return None
        if not glob_match(self.bucket, bucket):
            return None
        if self.key is None:
            # "<bucket>*"-style patterns: the whole bucket when the star reaches past the name.
            return "" if self.bucket.endswith("*") else None
        if not self.key:
            return ""
        star = self.key.find("*")
        return None if star < 0 else self.key[:star]


def parse_resource(resource: str) -> CosResource | None:
    """The parts of a COS resource name or pattern; None for "*" and for names that are not COS resources."""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != SERVICE or parts[1] or parts[2] != COS:
        return None
    _, _, _, region, owner, path = parts
    bucket, slash, key = path.partition("/")
    return CosResource(region=region, owner=owner, bucket=bucket, key=key if slash else None)


def granted_prefix(resource: str, *, region: str, appid: str, bucket: str) -> str | None:
    """The key prefix a policy's resource entry grants in `bucket` ("*" grants everything), or None."""
    if resource == "*":
        return ""
    parsed = parse_resource(resource)
    return None if parsed is None else parsed.key_prefix_in(region=region, appid=appid, bucket=bucket)
