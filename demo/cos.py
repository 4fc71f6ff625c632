"""The portal's only door to COS: a thin wrapper around cos-python-sdk-v5 (`qcloud_cos`).

Every call takes explicit keys (the signed-in user's temporary credentials, or root keys in tools and tests), so nothing
here ever reaches for an admin secret by itself. In local mode the SDK talks to localcloud at settings.LOCALCLOUD_URL:
bucket requests go to `IP:Port` with the virtual-host `Host` header the SDK sets itself, GetService goes to
`ServiceDomain`. Browsers reach a bucket at its virtual host `<bucket>.cos.<region>.localhost` with the scheme and port
of settings.LOCALCLOUD_PUBLIC_URL (qcloud.endpoints): presigned links and cos-js-sdk-v5's Domain sign that host, so
a link binds its bucket and region, and the storage origin is never the portal's. In tencent mode the SDK's default
domains are used.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from qcloud import endpoints

if TYPE_CHECKING:
    from signer.services import TemporaryCredentials

# The SDK logs every request URL and header at INFO; presigned URLs and session tokens must never reach our logs.
logging.getLogger("qcloud_cos").setLevel(logging.WARNING)

EXPOSE_HEADERS = ("ETag", "Content-Length", "x-cos-request-id", "Date")
ALLOWED_METHODS = ("PUT", "POST", "GET", "HEAD", "DELETE")
CORS_MAX_AGE = 600
TIMEOUT = 15


@dataclass(frozen=True)
class Keys:
    secret_id: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never print a secret
        return f"Keys(secret_id={self.secret_id!r}, temporary={self.token is not None})"


def keys_from(credentials: TemporaryCredentials) -> Keys:
    return Keys(credentials.tmp_secret_id, credentials.tmp_secret_key, credentials.session_token)


class CosError(Exception):
    """A COS answer that was not a success, e.g. ("AccessDenied", "...", 403); status 0 when COS was not reached.

    `operation` names the COS operation that failed when a call makes several (create_bucket: PutBucket or
    PutBucketCORS).
    """

    def __init__(self, code: str, message: str, status: int, operation: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.operation = operation


@dataclass(frozen=True)
class BucketInfo:
    name: str  # full name, "<name>-<appid>"
    region: str
    created: datetime | None


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime | None
    etag: str

    @property
    def name(self) -> str:
        """The last path segment, what a file list shows."""
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ObjectPage:
    objects: list[ObjectInfo]
    folders: list[str]  # common prefixes, each ending with the delimiter
    next_marker: str
    is_truncated: bool


# --- configuration -------------------------------------------------------------------------------------------------


def _local_endpoint(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, host, port


def browser_domain() -> str:
    """cos-js-sdk-v5's `Domain` in local mode: `http://{Bucket}.cos.{Region}.localhost:<port>`, localcloud's public
    scheme and port (Chromium and Firefox resolve *.localhost to the loopback address themselves)."""
    return endpoints.local_domain(settings.LOCALCLOUD_PUBLIC_URL)


def _config(keys: Keys, region: str | None) -> CosConfig:
    common: dict[str, Any] = {
        "Region": region or "ap-guangzhou",
        "SecretId": keys.secret_id,
        "SecretKey": keys.secret_key,
        "Token": keys.token,
        "Timeout": TIMEOUT,
    }
    if settings.LOCAL_MODE:
        scheme, host, port = _local_endpoint(settings.LOCALCLOUD_URL)
        # IP/Port: bucket requests go to localcloud with Host "<bucket>.cos.<region>.myqcloud.com" (set by the SDK);
        # GetService ignores IP/Port and goes to ServiceDomain.
        return CosConfig(Scheme=scheme, IP=host, Port=port, ServiceDomain=f"{host}:{port}", **common)
    return CosConfig(Scheme="https", **common)


def _client(keys: Keys, region: str | None) -> CosS3Client:
    # retry=0: the portal answers a person waiting for a page; one attempt, then a clear error.
    return CosS3Client(_config(keys, region), retry=0)


def _error(exc: Exception, operation: str = "") -> CosError:
    if isinstance(exc, CosServiceError):
        status = exc.get_status_code()
        code = exc.get_error_code()
        message = exc.get_error_msg()
        if code == "Unknown":  # bodiless answers (HEAD) carry only a status
            code = {403: "AccessDenied", 404: "NoSuchBucket"}.get(status, f"HTTP{status}")
            message = {403: _("Access denied."), 404: _("The bucket does not exist.")}.get(
                status, _("COS refused the request.")
            )
        elif code == "NoSuchResource":
            code, message = "NoSuchBucket", _("The bucket does not exist.")
        return CosError(code, message, status, operation)
    return CosError("CosUnavailable", _("COS could not be reached. Try again in a moment."), 0, operation)


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- operations ----------------------------------------------------------------------------------------------------


def list_buckets(keys: Keys, *, region: str | None = None) -> list[BucketInfo]:
    """GetService: the buckets these keys may see, optionally only those of one region, sorted by name."""
    client = _client(keys, region)
    buckets: list[BucketInfo] = []
    marker = ""
    try:
        while True:
            data = client.list_buckets(Region=region, Marker=marker)
            entries = _as_list((data.get("Buckets") or {}).get("Bucket"))
            for entry in entries:
                info = BucketInfo(
                    entry.get("Name", ""), entry.get("Location", ""), _parse_time(entry.get("CreationDate"))
                )
                if region is None or info.region == region:
                    buckets.append(info)
            if str(data.get("IsTruncated", "false")).lower() != "true" or not data.get("NextMarker"):
                break
            marker = data["NextMarker"]
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc
    return sorted(buckets, key=lambda b: b.name)


def cors_rule(origins: Sequence[str]) -> dict[str, Any]:
    return {
        "ID": "cos-sign-portal",
        "AllowedOrigin": list(origins),
        "AllowedMethod": list(ALLOWED_METHODS),
        "AllowedHeader": ["*"],
        "ExposeHeader": list(EXPOSE_HEADERS),
        "MaxAgeSeconds": CORS_MAX_AGE,
    }


def put_cors(keys: Keys, *, region: str, bucket: str, cors_origins: Sequence[str]) -> None:
    """PutBucketCORS: one rule for `cors_origins` (replaces the bucket's rules)."""
    try:
        _client(keys, region).put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRule": [cors_rule(cors_origins)]})
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc, "PutBucketCORS") from exc


def create_bucket(keys: Keys, *, region: str, bucket: str, cors_origins: Sequence[str]) -> None:
    """PutBucket, then a CORS rule so browsers at `cors_origins` can upload and read ETag (multipart needs it)."""
    try:
        _client(keys, region).create_bucket(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc, "PutBucket") from exc
    if cors_origins:
        put_cors(keys, region=region, bucket=bucket, cors_origins=cors_origins)


def head_bucket(keys: Keys, *, region: str, bucket: str) -> None:
    """HeadBucket: returns when the bucket exists and these keys may see it; CosError otherwise."""
    try:
        _client(keys, region).head_bucket(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc


def list_objects(
    keys: Keys,
    *,
    region: str,
    bucket: str,
    prefix: str = "",
    marker: str = "",
    delimiter: str = "/",
    max_keys: int = 100,
) -> ObjectPage:
    """One page of GetBucket (never the whole bucket): objects and folders under `prefix`, after `marker`."""
    try:
        data = _client(keys, region).list_objects(
            Bucket=bucket, Prefix=prefix, Marker=marker, Delimiter=delimiter, MaxKeys=max_keys
        )
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc
    objects = [
        ObjectInfo(
            key=item.get("Key", ""),
            size=int(item.get("Size") or 0),
            last_modified=_parse_time(item.get("LastModified")),
            etag=str(item.get("ETag") or "").strip('"'),
        )
        for item in _as_list(data.get("Contents"))
        if item.get("Key") and item.get("Key") != prefix  # a "folder marker" object is the folder itself
    ]
    folders = [item.get("Prefix", "") for item in _as_list(data.get("CommonPrefixes")) if item.get("Prefix")]
    is_truncated = str(data.get("IsTruncated", "false")).lower() == "true"
    next_marker = str(data.get("NextMarker") or "")
    if is_truncated and not next_marker:
        last = [o.key for o in objects] + folders
        next_marker = max(last) if last else ""
    return ObjectPage(objects=objects, folders=folders, next_marker=next_marker, is_truncated=is_truncated)


def presign_get(
    keys: Keys,
    *,
    region: str,
    bucket: str,
    key: str,
    expires: int = 300,
    params: Mapping[str, str] | None = None,
) -> str:
    """A download link a browser can follow for `expires` seconds, carrying x-cos-security-token for temporary keys.

    cos-python-sdk-v5 signs but leaves the token out of presigned URLs; COS refuses temporary keys without it.
    `params` (e.g. response-content-disposition) are signed and added to the query.
    """
    extra = dict(params or {})
    if settings.LOCAL_MODE:
        # Domain mode: the SDK signs the bucket's virtual host (without the port; localcloud accepts both), which
        # the browser sends as Host, so the link reads this bucket in this region only.
        scheme, _, _ = _local_endpoint(settings.LOCALCLOUD_PUBLIC_URL)
        domain = endpoints.local_bucket_host(settings.LOCALCLOUD_PUBLIC_URL, bucket, region)
        config = CosConfig(
            Region=region, SecretId=keys.secret_id, SecretKey=keys.secret_key, Scheme=scheme, Domain=domain
        )
    else:
        config = CosConfig(Region=region, SecretId=keys.secret_id, SecretKey=keys.secret_key)
    client = CosS3Client(config, retry=0)
    authorization = client.get_auth(Method="GET", Bucket=bucket, Key=key, Expired=expires, Params=extra)
    url = client.get_object_url(Bucket=bucket, Key=key)
    query = dict(item.split("=", 1) for item in authorization.split("&"))
    query.update(extra)
    if keys.token:
        query["x-cos-security-token"] = keys.token
    return f"{url}?{urlencode(query, quote_via=quote)}"


def delete_object(keys: Keys, *, region: str, bucket: str, key: str) -> None:
    try:
        _client(keys, region).delete_object(Bucket=bucket, Key=key)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc


def put_object(keys: Keys, *, region: str, bucket: str, key: str, body: bytes, content_type: str = "") -> None:
    """A small single PUT (tools and tests; browsers upload directly)."""
    extra = {"ContentType": content_type} if content_type else {}
    try:
        _client(keys, region).put_object(Bucket=bucket, Key=key, Body=body, **extra)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc


@dataclass(frozen=True)
class MultipartUpload:
    key: str
    upload_id: str
    initiated: datetime | None = None


def list_multipart_uploads(keys: Keys, *, region: str, bucket: str, prefix: str = "") -> list[MultipartUpload]:
    """Unfinished multipart uploads under `prefix` (what a cancelled browser upload must not leave behind), every
    page of them."""
    client = _client(keys, region)
    uploads: list[MultipartUpload] = []
    markers: dict[str, str] = {}
    try:
        while True:
            data = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix, **markers)
            uploads.extend(
                MultipartUpload(
                    key=item.get("Key", ""),
                    upload_id=item.get("UploadId", ""),
                    initiated=_parse_time(item.get("Initiated")),
                )
                for item in _as_list(data.get("Upload"))
            )
            if str(data.get("IsTruncated", "false")).lower() != "true" or not data.get("NextKeyMarker"):
                break
            markers = {"KeyMarker": data["NextKeyMarker"], "UploadIdMarker": data.get("NextUploadIdMarker", "")}
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc
    return uploads


def abort_multipart_upload(keys: Keys, *, region: str, bucket: str, key: str, upload_id: str) -> None:
    """Throw an unfinished upload away, parts and all (NoSuchUpload when it is already gone)."""
    try:
        _client(keys, region).abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc) from exc


# --- one object and one bucket in detail (the preview and bucket details pages) ------------------------------------


@dataclass(frozen=True)
class ObjectHead:
    """What HeadObject says about one object: the headers a person wants to see, and the custom metadata."""

    key: str
    size: int
    content_type: str
    etag: str
    last_modified: datetime | None
    headers: dict[str, str]  # Cache-Control, Content-Disposition, x-cos-storage-class ... as present
    metadata: dict[str, str]  # x-cos-meta-* with the prefix removed


# The standard headers a HEAD answer may carry that say something about the object (not about the answer).
SHOWN_HEADERS = (
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Expires",
    "x-cos-storage-class",
    "x-cos-server-side-encryption",
    "x-cos-version-id",
    "x-cos-tagging-count",
)
META_PREFIX = "x-cos-meta-"


def head_object(keys: Keys, *, region: str, bucket: str, key: str) -> ObjectHead:
    """HeadObject; CosError("NoSuchKey", ..., 404) when there is no such object."""
    try:
        data = _client(keys, region).head_object(Bucket=bucket, Key=key)
    except (CosServiceError, CosClientError) as exc:
        error = _error(exc, "HeadObject")
        if error.status == 404:
            raise CosError("NoSuchKey", _("The object does not exist."), 404, "HeadObject") from exc
        raise error from exc
    lower = {str(name).lower(): str(value) for name, value in data.items()}
    return ObjectHead(
        key=key,
        size=int(lower.get("content-length") or 0),
        content_type=lower.get("content-type", ""),
        etag=lower.get("etag", "").strip('"'),
        last_modified=_parse_time(lower.get("last-modified")),
        headers={name: lower[name.lower()] for name in SHOWN_HEADERS if lower.get(name.lower())},
        metadata={
            name[len(META_PREFIX) :]: value for name, value in sorted(lower.items()) if name.startswith(META_PREFIX)
        },
    )


def get_object_start(keys: Keys, *, region: str, bucket: str, key: str, length: int) -> bytes:
    """The first `length` bytes of an object, with one ranged GetObject (never the whole object)."""
    try:
        response = _client(keys, region).get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
        body: bytes = response["Body"].get_raw_stream().read(length)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc, "GetObject") from exc
    return body


def delete_bucket(keys: Keys, *, region: str, bucket: str) -> None:
    """DeleteBucket: COS refuses a bucket that still holds objects or unfinished uploads (BucketNotEmpty, 409)."""
    try:
        _client(keys, region).delete_bucket(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc, "DeleteBucket") from exc


@dataclass(frozen=True)
class CorsRule:
    id: str
    origins: list[str]
    methods: list[str]
    headers: list[str]
    expose_headers: list[str]
    max_age: int | None


def get_bucket_cors(keys: Keys, *, region: str, bucket: str) -> list[CorsRule]:
    """GetBucketCORS: the bucket's rules, [] when it has none (COS answers NoSuchCORSConfiguration then)."""
    try:
        data = _client(keys, region).get_bucket_cors(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        if isinstance(exc, CosServiceError) and exc.get_error_code() == "NoSuchCORSConfiguration":
            return []
        raise _error(exc, "GetBucketCORS") from exc
    rules = []
    for rule in _as_list(data.get("CORSRule")):
        max_age = rule.get("MaxAgeSeconds")
        rules.append(
            CorsRule(
                id=str(rule.get("ID") or ""),
                origins=[str(v) for v in _as_list(rule.get("AllowedOrigin"))],
                methods=[str(v) for v in _as_list(rule.get("AllowedMethod"))],
                headers=[str(v) for v in _as_list(rule.get("AllowedHeader"))],
                expose_headers=[str(v) for v in _as_list(rule.get("ExposeHeader"))],
                max_age=int(max_age) if max_age not in (None, "") else None,
            )
        )
    return rules


@dataclass(frozen=True)
class Grant:
    grantee: str  # an account ("qcs::cam::uin/...:uin/...") or a group URI (AllUsers ...)
    permission: str  # FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP


@dataclass(frozen=True)
class BucketAcl:
    owner: str
    grants: list[Grant]


def get_bucket_acl(keys: Keys, *, region: str, bucket: str) -> BucketAcl:
    """GetBucketACL: the owner and every grant."""
    try:
        data = _client(keys, region).get_bucket_acl(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        raise _error(exc, "GetBucketACL") from exc
    owner = data.get("Owner") or {}
    grants = []
    for grant in _as_list((data.get("AccessControlList") or {}).get("Grant")):
        grantee = grant.get("Grantee") or {}
        who = grantee.get("URI") or grantee.get("ID") or grantee.get("DisplayName") or ""
        grants.append(Grant(grantee=str(who), permission=str(grant.get("Permission") or "")))
    return BucketAcl(owner=str(owner.get("DisplayName") or owner.get("ID") or ""), grants=grants)
