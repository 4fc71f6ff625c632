"""Bucket-name rules: a COS bucket is `<name>-<appid>`.

The name is 1-50 characters of lowercase letters, digits and '-', and neither starts nor ends with '-'; the appid is
the account's numeric APPID.
"""

from __future__ import annotations

import string

MAX_NAME_LENGTH = 50
NAME_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-")


class BucketNameError(ValueError):
    """A bucket name breaks a rule; str(exc) says which one, in words a user can act on."""


def validate_bucket_name(name: str) -> None:
    """Check the short name (without "-<appid>"); raise BucketNameError naming the broken rule."""
    if not name:
        raise BucketNameError("bucket name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BucketNameError(f"bucket name must be at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    for position, char in enumerate(name, start=1):
        if char not in NAME_CHARACTERS:
            raise BucketNameError(
                "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', "
                f"got {char!r} at position {position}"
            )
    if name.startswith("-"):
        raise BucketNameError("bucket name must not start with '-'")
    if name.endswith("-"):
        raise BucketNameError("bucket name must not end with '-'")


def is_valid_appid(appid: str) -> bool:
    """An APPID is a non-empty run of ASCII digits, e.g. "1250000000"."""
    return bool(appid) and appid.isascii() and appid.isdigit()


def _check_appid(appid: str) -> None:
    if not is_valid_appid(appid):
        raise BucketNameError(f"appid must be digits only, got {appid!r}")


def full_bucket_name(name: str, appid: str) -> str:
    """ "photos" + "1250000000" -> "photos-1250000000", after checking both parts."""
    validate_bucket_name(name)
    _check_appid(appid)
    return f"{name}-{appid}"


def split_bucket(full: str) -> tuple[str, str]:
    """ "photos-1250000000" -> ("photos", "1250000000"); BucketNameError when it is not `<name>-<appid>`."""
    name, dash, appid = full.rpartition("-")
    if not dash or not name:
        raise BucketNameError(f"bucket {full!r} must be written as <name>-<appid>, e.g. 'photos-1250000000'")
    _check_appid(appid)
    validate_bucket_name(name)
    return name, appid
