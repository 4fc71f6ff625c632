"""The container's HEALTHCHECK: GET /healthz from the gunicorn in this container; exit 0 only when it answers 200.

It asks as a host the settings allow (the first of ALLOWED_HOSTS), over plain HTTP: /healthz is exempt from the
HTTPS redirect. /healthz checks the database, the cache and STS (localcloud in local mode).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    allowed = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    # ".example.com" allows example.com and its subdomains; "*" (or nothing: local mode's defaults) any local name.
    host = next((name.lstrip(".") for name in allowed if name != "*"), "localhost")
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 - a fixed http URL
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:  # an HTTPError (503: something is down) included
        body = getattr(exc, "read", lambda: b"")()
        print(f"healthcheck: {url} (Host: {host}): {exc} {body.decode(errors='replace')[:300]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
