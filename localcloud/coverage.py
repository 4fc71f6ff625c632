"""COVERAGE.md, written from the routing table: what localcloud implements of COS, and what it refuses.

python -m localcloud.coverage          # rewrites localcloud/COVERAGE.md
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from localcloud.cos.routes import NOT_IMPLEMENTED, OTHER_SUBRESOURCES, ROUTES, Route

PAGE = Path(__file__).with_name("COVERAGE.md")


def _sentence(function: Callable[..., object]) -> str:
    """The first sentence of a function's docstring, on one line."""
    text = " ".join((function.__doc__ or "").split())
    head, dot, _ = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")


def _authorisation(route: Route) -> str:
    text = _sentence(route.check)
    if route.prepare is not None:
        text += " " + _sentence(route.prepare)
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    lines = [
        "# What localcloud implements of the COS XML API",
        "",
        "Generated from the routing table (`localcloud/cos/routes.py`) by `python -m localcloud.coverage`; a test",
        "fails when this page and the table differ. The dispatcher authorises every operation before its handler runs.",
        "",
        "## Implemented",
        "",
        "| Operation | Request | CAM action | Authorisation |",
        "|---|---|---|---|",
    ]
    for route in ROUTES:
        cells = [route.operation, f"`{route.request}`", f"`{route.action}`", _authorisation(route)]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += [
        "",
        "`OPTIONS` (CORS preflight, `name/cos:OptionsObject`) is answered from the bucket's CORS rules without a",
        "signature, as COS answers it.",
        "",
        "An unsigned request is anonymous: it may read (GetObject, HeadObject; GetBucket, HeadBucket) what the",
        "access control lists make public (an object's own, or its bucket's when the object's is `default`), and",
        "nothing else. Signed requests are judged by their CAM policies alone.",
        "",
        "Policy conditions (`cos:content-length`, `cos:content-type`, `qcs:ip`, `cos:x-cos-acl`,",
        "`cos:x-cos-forbid-overwrite`) are judged on each request by itself, as COS judges them: UploadPart by the",
        "part's own Content-Length and Content-Type, CompleteMultipartUpload by its XML part list. Nothing is checked",
        "on the total size of a multipart upload, which COS does not check either. `x-cos-forbid-overwrite: true` on",
        "PutObject, InitiateMultipartUpload and CompleteMultipartUpload refuses a key that names an object with",
        "`409 FileAlreadyExists`.",
        "",
        "## Not implemented yet",
        "",
        "Refused with `501 NotImplemented` (COS's XML error document) before anything is looked up or changed; a",
        "method COS does not have gets `405 MethodNotAllowed`. Versioning is not emulated (a bucket keeps one",
        "version of each object): `?versioning`, `?versions` and `versionId` are refused with a message that says so.",
        "",
        "| Operation | Request | CAM action |",
        "|---|---|---|",
    ]
    for missing in NOT_IMPLEMENTED:
        cells = [missing.operation, f"`{missing.request}`", f"`{missing.action}`"]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    names = ", ".join(f"`?{name}`" for name in sorted(OTHER_SUBRESOURCES))
    lines += ["", f"Requests naming any of these other COS sub-resources are refused the same way: {names}.", ""]
    return "\n".join(lines)


def main() -> None:
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")


if __name__ == "__main__":
    main()
