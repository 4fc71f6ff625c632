"""Ready-made policies for the admin: the statements for the common cases, least privilege first.

Every preset that uploads includes what cos-js-sdk-v5 needs for multipart uploads (ListMultipartUploads to find an
upload to resume, Initiate, UploadPart, ListParts, Complete, Abort for cancel) besides PutObject; every preset lets the
demo see buckets (GetService on `*`, HeadBucket) and list the folder it may use (GetBucket with the prefix rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

UPLOAD = [
    "name/cos:PutObject",
    "name/cos:PostObject",
    "name/cos:InitiateMultipartUpload",
    "name/cos:UploadPart",
    "name/cos:ListParts",
    "name/cos:CompleteMultipartUpload",
    "name/cos:AbortMultipartUpload",
]
READ = ["name/cos:GetObject", "name/cos:HeadObject"]
LISTING = ["name/cos:GetBucket", "name/cos:ListMultipartUploads"]
BROWSE = ["name/cos:HeadBucket"]
OWN_PREFIX = "users/${username}/"

# The descriptions are lazy translations (the admin's preset choices); the names are keys and stay as they are.
PRESETS: dict[str, StrOrPromise] = {
    "read-write own prefix": _("List, upload (multipart included), download and delete under users/<username>/."),
    "upload to own prefix": _("List and upload (multipart included) under users/<username>/; no download or delete."),
    "read own prefix": _("List and download under users/<username>/."),
    "read whole bucket": _("List and download everything in the bucket."),
    "bucket admin": _(
        "Create buckets and set their CORS rules; everything on objects, in every bucket of the account."
    ),
}


def _resource(region: str, bucket: str, key: str) -> str:
    return f"qcs::cos:{region}:uid/${{appid}}:{bucket}/{key}"


def _allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"effect": "allow", "action": actions, "resource": resources}


def preset_statements(name: str, *, bucket: str, region: str) -> list[dict[str, Any]]:
    """The statements of preset `name` for `bucket` (full name, "<name>-<appid>") in `region` ("*" for any)."""
    bucket_resource = _resource(region, bucket, "")
    own = _resource(region, bucket, OWN_PREFIX + "*")
    everything = _resource(region, bucket, "*")
    service = _allow(["name/cos:GetService"], ["*"])
    if name == "read-write own prefix":
        return [
            service,
            _allow(BROWSE, [bucket_resource]),
            _allow(LISTING, [own]),
            _allow([*UPLOAD, *READ, "name/cos:DeleteObject"], [own]),
        ]
    if name == "upload to own prefix":
        return [service, _allow(BROWSE, [bucket_resource]), _allow(LISTING, [own]), _allow(UPLOAD, [own])]
    if name == "read own prefix":
        return [service, _allow(BROWSE, [bucket_resource]), _allow(["name/cos:GetBucket"], [own]), _allow(READ, [own])]
    if name == "read whole bucket":
        return [service, _allow([*BROWSE, "name/cos:GetBucket"], [bucket_resource]), _allow(READ, [everything])]
    if name == "bucket admin":
        any_bucket = "qcs::cos:*:uid/${appid}:*"
        return [
            service,
            _allow(
                [
                    "name/cos:PutBucket",
                    "name/cos:HeadBucket",
                    *LISTING,
                    "name/cos:PutBucketCORS",
                    "name/cos:GetBucketCORS",
                    "name/cos:DeleteBucketCORS",
                ],
                [any_bucket + "/"],
            ),
            _allow([*UPLOAD, *READ, "name/cos:DeleteObject"], [any_bucket]),
        ]
    raise KeyError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
