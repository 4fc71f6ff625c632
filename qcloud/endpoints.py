"""Where a bucket lives on the network: its virtual-host name, on COS and on a localcloud.

COS addresses a bucket as `<bucket-appid>.cos.<region>.myqcloud.com`. localcloud also answers
`<bucket-appid>.cos.<region>.localhost`, which Chromium and Firefox resolve to the loopback address themselves (glibc
does not, so server-side Python keeps connecting to localcloud's IP and sends that name as the Host header). Browsers
use these names in local mode: a signature then binds the bucket and region (both SDKs sign the Host header), and the
storage origin is never the portal's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOCAL_SUFFIX = "localhost"
COS_SUFFIX = "myqcloud.com"


def virtual_host(bucket: str, region: str, suffix: str = COS_SUFFIX) -> str:
    return f"{bucket}.cos.{region}.{suffix}"


def _scheme_and_port(public_url: str) -> tuple[str, str]:
    """The scheme and the `:port` part (empty for the scheme's default port) of a localcloud's public URL."""
    parts = urlsplit(public_url)
    scheme = parts.scheme or "http"
    port = parts.port
    default = 443 if scheme == "https" else 80
    return scheme, f":{port}" if port and port != default else ""


def local_bucket_host(public_url: str, bucket: str, region: str) -> str:
    """`<bucket>.cos.<region>.localhost[:port]`: the Host a browser sends to the localcloud at `public_url`."""
    _, port = _scheme_and_port(public_url)
    return virtual_host(bucket, region, LOCAL_SUFFIX) + port


def local_bucket_url(public_url: str, bucket: str, region: str) -> str:
    """`http://<bucket>.cos.<region>.localhost:<port>`: where a browser reaches one bucket of that localcloud."""
    scheme, _ = _scheme_and_port(public_url)
    return f"{scheme}://{local_bucket_host(public_url, bucket, region)}"


def local_domain(public_url: str) -> str:
    """cos-js-sdk-v5's `Domain` for that localcloud: the SDK fills in {Bucket} and {Region}."""
    return local_bucket_url(public_url, "{Bucket}", "{Region}")


def local_origin_source(public_url: str) -> str:
    """The CSP host-source that admits every bucket of that localcloud: `http://*.localhost:<port>`."""
    scheme, port = _scheme_and_port(public_url)
    return f"{scheme}://*.{LOCAL_SUFFIX}{port}"
