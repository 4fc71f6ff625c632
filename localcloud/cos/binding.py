"""What a signature binds, and what an answer may do in a browser.

- A sub-resource that selects the operation (`?acl`, `?uploadId`, ...) must be among the signed query parameters:
  otherwise anyone holding a presigned GET or PUT URL could append one and run another operation as its signer.
  cos-python-sdk-v5 (CosS3Auth, SignParams=True by default) and cos-js-sdk-v5 (util.getAuth over `params.qs` and the
  action) sign every query parameter they send, so their requests always pass.
- Content a browser would run (HTML, SVG, XML, JavaScript) is never served inline from the storage origin unless the
  object (or a signed response-content-disposition) says how: without a Content-Disposition of its own the answer
  gets `Content-Disposition: attachment`, and every object answer carries `X-Content-Type-Options: nosniff` so a
  browser does not guess such a type from the bytes either. This is what COS does on its default domains: Tencent's
  COS documentation ("使用默认域名访问 HTML 等文件时强制下载": buckets created from 2024-01-01 on answer HTML and
  similar files requested through `*.myqcloud.com` with Content-Disposition: attachment; a custom domain serves them
  inline), recalled from Tencent's notice, not re-checked here. localcloud only has default domains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from localcloud.cos.errors import access_denied
from localcloud.cos.request import CosRequest, Response

ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
        "application/xhtml+xml",
        "application/ecmascript",
        "text/ecmascript",
    }
)
OBJECT_ANSWERS = frozenset({"GetObject", "HeadObject"})


def require_signed(request: CosRequest, subresources: Iterable[str], signs: Callable[[str], bool]) -> None:
    """AccessDenied when a sub-resource that selected the route is not among the signed parameters."""
    wanted = frozenset(subresources)
    for name in request.params:
        if name.lower() in wanted and not signs(name):
            raise access_denied(
                f"Access Denied: the sub-resource ?{name[:40]} selects the operation but is not signed "
                "(it must be listed in q-url-param-list)."
            )


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def protect(operation: str, response: Response) -> None:
    """nosniff on object answers, and attachment for active content without a Content-Disposition of its own."""
    if operation not in OBJECT_ANSWERS or response.status >= 300:
        return
    response.headers.append(("X-Content-Type-Options", "nosniff"))
    kind = media_type(response.header("Content-Type"))
    if (kind in ACTIVE_TYPES or kind.endswith("+xml")) and not response.header("Content-Disposition"):
        response.headers.append(("Content-Disposition", "attachment"))
