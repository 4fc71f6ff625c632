"""One authenticated COS request on its way through a handler: target, caller, and the authorization step."""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
from dataclasses import dataclass

from localcloud.cos import acl, auth, encryption
from localcloud.cos.context import Context
from localcloud.cos.errors import CosError, invalid_argument, no_such_bucket
from localcloud.cos.request import CosRequest
from localcloud.cos.storage import Bucket, Storage
from localcloud.numbers import ascii_int
from qcloud.policy import RequestContext

# Headers an object keeps from its upload and gives back on GET and HEAD.
KEPT_HEADERS = {
    "content-type": "Content-Type",
    "cache-control": "Cache-Control",
    "content-disposition": "Content-Disposition",
    "content-encoding": "Content-Encoding",
    "content-language": "Content-Language",
    "expires": "Expires",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass
class Call:
    ctx: Context
    request: CosRequest
    caller: auth.Caller
    operation: str
    # What a route's `prepare` step looked up for its handler (the upload, the parts chosen), typed by that handler.
    prepared: object = None

    @property
    def storage(self) -> Storage:
        return self.ctx.storage

    @property
    def bucket_name(self) -> str:
        name = self.request.target.bucket
        assert name is not None  # the routes give bucket and object operations only with a bucket
        return name

    @property
    def key(self) -> str:
        return self.request.target.key

    @property
    def region(self) -> str:
        return self.request.target.region or ""

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, by name in any case, when the signature binds it (an unsigned one counts for nothing:
        anyone holding a presigned URL could append it). The request has no two parameters of one name (request.py).

        GetService's paging parameters are the exception: cos-python-sdk-v5's list_buckets signs no query parameter
        (it builds CosS3Auth without params), COS pages by them all the same, and a bucket list is no presigned
        link's answer to alter."""
        lower = name.lower()
        unsigned_ok = self.operation == "GetService"
        for key, value in self.request.params.items():
            if key.lower() == lower and (unsigned_ok or self.caller.signs(key)):
                return value
        return default

    def signed_names(self) -> list[str]:
        """The query parameter names the signature binds, as sent."""
        return [name for name in self.request.params if self.caller.signs(name)]

    def context(self) -> RequestContext:
        """What CAM conditions look at: this request's own size, type, client address, x-cos-acl and
        x-cos-forbid-overwrite (for UploadPart and CompleteMultipartUpload too: COS judges every request by itself)."""
        return RequestContext(
            content_length=self.request.content_length,
            content_type=self.request.headers.get("content-type"),
            ip=self.request.remote_addr,
            acl=self.request.headers.get("x-cos-acl"),
            forbid_overwrite=_lower(self.request.headers.get("x-cos-forbid-overwrite")),
        )

    def authorize(self, *, prefix: str = "", context: RequestContext | None = None) -> None:
        """AccessDenied unless the caller may do this operation on the addressed resource (see auth.check_access).

        Only the dispatcher calls this (through a route's check), before the handler looks at storage, so a caller
        without access gets the same 403 whether or not the bucket, object or upload exists.
        """
        if self.caller.anonymous and self._public(self.operation):
            return
        auth.check_access(
            self.caller,
            self.operation,
            region=self.region,
            appid=self.ctx.config.appid,
            bucket=self.request.target.bucket,
            key=self.key,
            prefix=prefix,
            context=context if context is not None else self.context(),
        )

    def authorize_other(self, operation: str, *, bucket: str, key: str, region: str) -> None:
        """AccessDenied unless the caller may do `operation` on another resource than the addressed one (the source
        of a copy, one key of a multiple delete), judged with this request's context."""
        auth.check_access(
            self.caller,
            operation,
            region=region,
            appid=self.ctx.config.appid,
            bucket=bucket,
            key=key,
            context=self.context(),
        )

    def _public(self, operation: str) -> bool:
        """Whether the access control lists let an anonymous caller do this read (acl.py). What else anonymous
        callers could do on COS (writes to public-read-write buckets) is not emulated: refused."""
        bucket = self.storage.get_bucket(self.bucket_name) if self.request.target.bucket else None
        if bucket is None:
            return False
        if operation in {"GetBucket", "HeadBucket"}:
            return acl.anonymous_may("READ", bucket.acl)
        if operation in {"GetObject", "HeadObject"}:
            return self.public_object(self.bucket_name, self.key)
        return False

    def public_object(self, bucket_name: str, key: str) -> bool:
        """Whether everyone may read the object (its ACL, or its bucket's when the object's is "default"). A key
        that does not exist is public in a public-read bucket: it answers NoSuchKey there, AccessDenied elsewhere."""
        bucket = self.storage.get_bucket(bucket_name)
        if bucket is None:
            return False
        info = self.storage.get_object(bucket_name, key)
        if info is None:
            return acl.anonymous_may("READ", bucket.acl)
        return acl.object_readable(info.acl, bucket.acl)

    def bucket(self) -> Bucket:
        """The addressed bucket; NoSuchBucket when it does not exist in the addressed region."""
        found = self.storage.get_bucket(self.bucket_name)
        if found is None:
            raise no_such_bucket(self.bucket_name)
        if self.region and found.region != self.region:
            raise CosError(
                404,
                "NoSuchBucket",
                f"The specified bucket {self.bucket_name} does not exist in region {self.region} "
                f"(it is in {found.region}).",
            )
        return found

    def kept_headers(self) -> dict[str, str]:
        """Content-Type, Cache-Control, ... and x-cos-meta-* of an upload, as the object keeps them.

        Without a Content-Type, the one of the key's extension (COS's PUT Object reference: "默认根据对象后缀名
        匹配", Python's mimetypes here), else application/octet-stream."""
        kept = {KEPT_HEADERS[name]: value for name, value in self.request.headers.items() if name in KEPT_HEADERS}
        if "Content-Type" not in kept:
            kept["Content-Type"] = mimetypes.guess_type(self.key, strict=False)[0] or DEFAULT_CONTENT_TYPE
        for name, value in self.request.headers.items():
            if name.startswith("x-cos-meta-"):
                kept[name] = value
        kept.update(encryption.stored_headers(self.request.headers))
        return kept

    def content_md5(self) -> bytes | None:
        value = self.request.headers.get("content-md5")
        if value is None:
            return None
        try:
            digest = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CosError(400, "InvalidDigest", "The Content-MD5 you specified is not valid base64.") from exc
        if len(digest) != 16:
            raise CosError(400, "InvalidDigest", "The Content-MD5 you specified is not a 128-bit MD5 digest.")
        return digest

    def read_xml_body(self) -> bytes:
        """A small XML body (CORS rules, the part list), checked against Content-MD5 when the client sent one."""
        expected = self.content_md5()
        data = self.request.read_small_body()
        if expected is not None and hashlib.md5(data).digest() != expected:  # noqa: S324 - the protocol's digest
            raise CosError(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
        return data

    def int_param(self, name: str, default: int, low: int, high: int) -> int:
        value = self.param(name)
        if value is None or value == "":
            return default
        number = ascii_int(value, 9)  # every limit here is far below 10**9
        if number is None or not low <= number <= high:
            raise invalid_argument(f"{name} must be an integer from {low} to {high}, got {value[:40]!r}.")
        return number


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value is not None else None
