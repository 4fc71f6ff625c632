"""One authenticated COS request on its way through a handler: target, caller, and the authorization step."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, replace

from localcloud.cos import auth, encryption
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
        anyone holding a presigned URL could append it). The request has no two parameters of one name (request.py)."""
        lower = name.lower()
        for key, value in self.request.params.items():
            if key.lower() == lower and self.caller.signs(key):
                return value
        return default

    def signed_names(self) -> list[str]:
        """The query parameter names the signature binds, as sent."""
        return [name for name in self.request.params if self.caller.signs(name)]

    def context(self) -> RequestContext:
        """What CAM conditions look at: this request's size, type, client address and x-cos-acl."""
        return RequestContext(
            content_length=self.request.content_length,
            content_type=self.request.headers.get("content-type"),
            ip=self.request.remote_addr,
            acl=self.request.headers.get("x-cos-acl"),
        )

    def upload_context(self, content_length: int | None, content_type: str | None) -> RequestContext:
        """For UploadPart and CompleteMultipartUpload: the size of the part or of the whole, and the type the upload
        was initiated with (these requests carry no object Content-Type of their own)."""
        return replace(self.context(), content_length=content_length, content_type=content_type)

    def authorize(
        self, *, prefix: str = "", context: RequestContext | None = None, before_lookup: bool = False
    ) -> None:
        """AccessDenied unless the caller may do this operation on the addressed resource (see auth.check_access).

        Only the dispatcher calls this (through a route's check), before the handler looks at storage, so a caller
        without access gets the same 403 whether or not the bucket, object or upload exists; with `before_lookup`,
        again after the route's lookup, with the full context.
        """
        auth.check_access(
            self.caller,
            self.operation,
            region=self.region,
            appid=self.ctx.config.appid,
            bucket=self.request.target.bucket,
            key=self.key,
            prefix=prefix,
            context=context if context is not None else self.context(),
            before_lookup=before_lookup,
        )

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
        """Content-Type, Cache-Control, ... and x-cos-meta-* of an upload, as the object keeps them."""
        kept = {KEPT_HEADERS[name]: value for name, value in self.request.headers.items() if name in KEPT_HEADERS}
        kept.setdefault("Content-Type", DEFAULT_CONTENT_TYPE)
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
