"""Which bucket and key a request is for.

- Virtual host: Host `<bucket-appid>.cos.<region>.myqcloud.com` (or `.tencentcos.cn`, or `.localhost`, which Chromium
  and Firefox resolve themselves), with or without a port; the key is the whole path.
- Bare host (`127.0.0.1`, `localhost`, `service.cos.myqcloud.com`, `cos.<region>.myqcloud.com`, anything else):
  `/` is the service (GetService) and `/cos/<region>/<bucket-appid>/<key>` is path style, a localcloud convenience
  COS does not have. The SDKs sign only `/<key>`, so a signed path-style request must sign its bucket's virtual host
  as `host` (auth.py): otherwise one bucket's signature would read the same key in any other.

The key is the percent-decoded path after the bucket part; the signed path is always "/" + key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from localcloud.cos.errors import CosError

VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>[^./]+)\.cos(?:-internal)?\.(?P<region>[a-z0-9-]+)"
    r"\.(?:myqcloud\.com|tencentcos\.cn|localhost)\.?$"
)
REGION_HOST = re.compile(r"^cos(?:-internal)?\.(?P<region>[a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn|localhost)$")
PATH_STYLE = re.compile(r"^/cos/(?P<region>[^/]+)/(?P<bucket>[^/]+)(?:/(?P<key>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Target:
    style: str  # "virtual", "path" or "service"
    region: str | None
    bucket: str | None
    key: str

    def resource(self) -> str:
        """The path COS names in error messages (Resource)."""
        if self.bucket is None:
            return "/"
        # Control characters would make the error document invalid XML: keep them percent-encoded.
        return quote(f"/{self.bucket}/{self.key}", safe="/-_.~!$&'()*+,;=:@ ")


def hostname(host: str) -> str:
    """The Host header without its port (IPv6 literals keep their brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _decode(raw: str) -> str:
    try:
        return unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise CosError(400, "InvalidURI", "The request path is not valid percent-encoded UTF-8.") from exc


def resolve(host: str, raw_path: str) -> Target:
    """`raw_path` is the path exactly as sent (still percent-encoded), without the query string."""
    if not raw_path.startswith("/"):
        raise CosError(400, "InvalidURI", "The request path must start with '/'.")
    match = VIRTUAL_HOST.match(hostname(host))
    if match:
        return Target("virtual", match["region"], match["bucket"], _decode(raw_path[1:]))
    path_match = PATH_STYLE.match(raw_path)
    if path_match:
        return Target(
            "path", _decode(path_match["region"]), _decode(path_match["bucket"]), _decode(path_match["key"] or "")
        )
    if raw_path == "/":
        region_match = REGION_HOST.match(hostname(host))
        return Target("service", region_match["region"] if region_match else None, None, "")
    raise CosError(
        400,
        "InvalidURI",
        "No bucket in this request: use a virtual host <bucket-appid>.cos.<region>.myqcloud.com or the path style "
        "/cos/<region>/<bucket-appid>/<key>.",
    )
