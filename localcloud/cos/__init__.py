"""The COS XML API of localcloud.

Modules: addressing (bucket and key from Host and path), request (parsed request, response), auth (signature, token,
expiry, CAM policy), storage (SQLite metadata + body files), xml, cors, handlers (service, bucket, object operations),
multipart. Every answer carries `x-cos-request-id`; every failure is COS's XML error document, never a traceback.

How cos-python-sdk-v5 talks to localcloud (e.g. demo/cos.py), with localcloud on 127.0.0.1:9100:

    CosConfig(Region="ap-guangzhou", SecretId=..., SecretKey=..., Token=None or the session token, Scheme="http",
              IP="127.0.0.1", Port=9100, ServiceDomain="127.0.0.1:9100")

In IP mode the SDK sends every bucket request to IP:Port with the Host header `<bucket-appid>.cos.<region>.myqcloud.com`
(virtual host, signed as such); `ServiceDomain` is needed because list_buckets() otherwise goes to
service.cos.myqcloud.com. Presigned URLs: in IP mode the SDK's URL has no bucket in it, so build them with a client
configured `Domain="<host:port>/cos/<region>/<bucket-appid>"` (path style; the SDK signs the host without the port,
which localcloud accepts), or `Domain="<bucket-appid>.cos.<region>.localhost:<port>"` for browsers, and append
`&x-cos-security-token=<token>` when the keys are temporary (the SDK leaves it out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from localcloud.cos import auth, cors, handlers, multipart
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError
from localcloud.cos.request import CosRequest, Response, new_request_id
from localcloud.cos.storage import Storage
from localcloud.cos.xml import build, document
from qcloud.operations import UnsupportedOperation, classify

if TYPE_CHECKING:
    from localcloud.app import LocalCloud

log = logging.getLogger("localcloud.cos")

HANDLERS: dict[str, Callable[[Call], Response]] = {
    "GetService": handlers.get_service,
    "PutBucket": handlers.put_bucket,
    "HeadBucket": handlers.head_bucket,
    "GetBucket": handlers.get_bucket,
    "DeleteBucket": handlers.delete_bucket,
    "PutBucketCORS": handlers.put_bucket_cors,
    "GetBucketCORS": handlers.get_bucket_cors,
    "DeleteBucketCORS": handlers.delete_bucket_cors,
    "PutObject": handlers.put_object,
    "GetObject": handlers.get_object,
    "HeadObject": handlers.head_object,
    "DeleteObject": handlers.delete_object,
    "InitiateMultipartUpload": multipart.initiate,
    "UploadPart": multipart.upload_part,
    "ListParts": multipart.list_parts,
    "CompleteMultipartUpload": multipart.complete,
    "AbortMultipartUpload": multipart.abort,
    "ListMultipartUploads": multipart.list_uploads,
}
METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"}


class CosService:
    def __init__(self, app: LocalCloud) -> None:
        self.app = app
        self.storage = Storage(app.config.data_dir / "cos", app.config.clock)

    def handle(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_id = new_request_id()
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        request: CosRequest | None = None
        try:
            request = CosRequest.from_environ(environ, request_id)
            response = self._serve(request)
        except CosError as exc:
            response = self._error(exc, request, environ, request_id)
        except Exception:
            log.exception("COS request %s %s failed", method, request.raw_path if request else "?")
            failure = CosError(500, "InternalError", "We encountered an internal error. Please try again.")
            response = self._error(failure, request, environ, request_id)
        response.headers.append(("x-cos-request-id", request_id))
        response.headers.append(("x-cos-trace-id", request_id))
        if request is not None and method != "OPTIONS":
            try:
                response.headers.extend(self._cors_headers(request, response))
            except Exception:
                log.exception("CORS headers for %s %s failed", method, request.raw_path)
        log.info("%s %s -> %s", method, request.raw_path if request else "?", response.status)
        return response.send(environ, start_response, head=method == "HEAD")

    def _serve(self, request: CosRequest) -> Response:
        if request.method not in METHODS:
            raise CosError(405, "MethodNotAllowed", f"The specified method {request.method} is not allowed.")
        target = request.target
        if request.method == "OPTIONS":
            return self._preflight(request)
        try:
            operation = classify(request.method, target.bucket, target.key, request.params)
        except UnsupportedOperation as exc:
            raise CosError(501, "NotImplemented", f"localcloud does not implement this request: {exc}.") from exc
        if "x-cos-copy-source" in request.headers:  # PUT Object - Copy / Upload Part - Copy: not a plain upload
            raise CosError(501, "NotImplemented", "localcloud does not implement copying objects (x-cos-copy-source).")
        self.app.stats.add(f"cos:{operation}")
        caller = auth.authenticate(request, self.app.credentials, self.app.clock)
        call = Call(self.app, self.storage, request, caller, operation)
        return HANDLERS[operation](call)

    def _preflight(self, request: CosRequest) -> Response:
        self.app.stats.add("cos:Preflight")
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if not origin or not method:
            raise CosError(
                400, "InvalidArgument", "A CORS preflight needs the Origin and Access-Control-Request-Method headers."
            )
        if request.target.bucket is None:
            raise CosError(403, "AccessForbidden", "CORSResponse: there is no bucket in this request.")
        bucket = self.storage.get_bucket(request.target.bucket)
        rules = bucket.cors if bucket is not None else None
        headers = cors.preflight(rules, origin, method, request.headers.get("access-control-request-headers", ""))
        if request.headers.get("access-control-request-private-network", "").lower() == "true":
            # Chromium's Private Network Access: a page on a public or LAN address reaching localcloud on loopback.
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return Response(200, headers)

    def _cors_headers(self, request: CosRequest, response: Response) -> list[tuple[str, str]]:
        origin = request.headers.get("origin")
        if not origin or request.target.bucket is None or response.header("Access-Control-Allow-Origin"):
            return []
        bucket = self.storage.get_bucket(request.target.bucket)
        rule = cors.find_rule(bucket.cors if bucket else None, origin, request.method)
        return cors.response_headers(rule, origin) if rule else []

    def _error(self, exc: CosError, request: CosRequest | None, environ: dict[str, Any], request_id: str) -> Response:
        if request is not None:
            resource = request.target.resource()
        else:  # the request could not be parsed: name the path as sent, percent-encoded so the XML stays valid
            resource = quote(str(environ.get("PATH_INFO", "/")).encode("latin-1", "replace"), safe="/")
        root = build(
            "Error",
            ("Code", exc.code),
            ("Message", exc.message),
            ("Resource", resource or "/"),
            ("RequestId", request_id),
            ("TraceId", request_id),
        )
        return Response(exc.status, [("Content-Type", "application/xml"), *exc.headers], document(root))
