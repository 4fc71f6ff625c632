"""The COS dispatcher: parse the request, find its route, authenticate, authorise, run the handler, answer.

Every answer carries `x-cos-request-id`; every failure is COS's XML error document, never a traceback. A request that
matches no route (routes.py) is refused before anything is looked up or changed: 405 MethodNotAllowed for a method
COS does not have, 501 NotImplemented for anything else. Those are the codes and statuses Tencent's COS error code
list gives for them (API reference "Error Codes", 436/7730: 405 MethodNotAllowed, 501 NotImplemented), in the XML
document every COS error uses. CORS preflights (OPTIONS) are answered from the bucket's CORS rules, unauthenticated,
as COS answers them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from localcloud.cos import auth, binding, cors, encryption, routes
from localcloud.cos.call import Call
from localcloud.cos.context import Context
from localcloud.cos.errors import CosError
from localcloud.cos.request import CosRequest, Response, new_request_id
from localcloud.cos.storage import check_key
from localcloud.cos.xml import build, document
from qcloud.operations import UnsupportedOperation

log = logging.getLogger("localcloud.cos")

METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"}


def run(route: routes.Route, call: Call) -> Response:
    """A matched route, in the order that keeps strangers from learning anything: the key's form, authorisation,
    the route's lookups (and authorisation again with what they found), then the handler."""
    if route.scope == "object":
        check_key(call.key)
    route.check(call)
    if route.prepare is not None:
        call.authorize(context=route.prepare(call))
    return route.handler(call)


class CosService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.storage = ctx.storage

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
        # The operation and its sub-resources, never the query: it holds presigned signatures and tokens.
        operation = request.operation if request is not None and request.operation else "-"
        log.info("%s %s %s -> %s", operation, method, request.raw_path if request else "?", response.status)
        return response.send(environ, start_response, head=method == "HEAD")

    def _serve(self, request: CosRequest) -> Response:
        if request.method not in METHODS:
            raise CosError(405, "MethodNotAllowed", f"The specified method {request.method} is not allowed.")
        if request.method == "OPTIONS":
            return self._preflight(request)
        target = request.target
        try:
            route = routes.match(request.method, target.bucket, target.key, request.params, request.headers)
        except UnsupportedOperation as exc:
            raise CosError(501, "NotImplemented", f"localcloud does not implement this request: {exc}.") from exc
        self.ctx.stats.add(f"cos:{route.operation}")
        request.operation = route.operation + (
            f" ?{'&'.join(sorted(route.subresources))}" if route.subresources else ""
        )
        caller = auth.authenticate(request, self.ctx.credentials, self.ctx.clock())
        binding.require_signed(request, route.subresources, caller.signs)
        call = Call(self.ctx, request, caller, route.operation)
        response = run(route, call)
        encryption.finish(route.operation, call, response)
        binding.protect(route.operation, response)
        return response

    def _preflight(self, request: CosRequest) -> Response:
        self.ctx.stats.add("cos:Preflight")
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
