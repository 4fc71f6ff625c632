"""Bucket-name rules: a COS bucket is `<name>-<appid>`.

The name is 1-50 characters of lowercase letters, digits and '-', and neither starts nor ends with '-'; the appid is
the account's numeric APPID.
"""

from __future__ import annotations

import string

MAX_NAME_LENGTH = 50
NAME_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-")


class BucketNameError(ValueError):
    """A bucket name breaks a rule; str(exc) says which one, in words a user can act on.

    `rule` names the rule for callers that speak another language ("empty", "too_long", "character", "leading_dash",
    "trailing_dash"), `details` carries what the words mention (length, character, position).
    """

    def __init__(self, message: str, rule: str = "", **details: object) -> None:
        super().__init__(message)
        self.rule = rule
        self.details = details


def validate_bucket_name(name: str) -> None:
    """Check the short name (without "-<appid>"); raise BucketNameError naming the broken rule."""
    if not name:
        raise BucketNameError("bucket name must not be empty", "empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BucketNameError(
            f"bucket name must be at most {MAX_NAME_LENGTH} characters, got {len(name)}", "too_long", length=len(name)
        )
    for position, char in enumerate(name, start=1):
        if char not in NAME_CHARACTERS:
            raise BucketNameError(
                "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', "
                f"got {char!r} at position {position}",
                "character",
                character=char,
                position=position,
            )
    if name.startswith("-"):
        raise BucketNameError("bucket name must not start with '-'", "leading_dash")
    if name.endswith("-"):
        raise BucketNameError("bucket name must not end with '-'", "trailing_dash")


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
