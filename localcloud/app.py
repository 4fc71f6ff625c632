"""The WSGI application: one port for both APIs.

`POST /` (or `GET /`) signed as an API 3.0 call is STS or CAM (`localcloud.api`); `/_localcloud/*` is the
emulator's own read-only introspection (request counters, used by tests and benchmarks); everything else is the COS
XML API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from localcloud import api, cam, sts
from localcloud.config import Config
from localcloud.cos.context import Context
from localcloud.cos.service import CosService
from localcloud.cos.storage import Storage
from localcloud.credentials import CredentialStore
from localcloud.stats import Stats

StartResponse = Any
WSGIEnviron = dict[str, Any]


class LocalCloud:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.credentials = CredentialStore(config)
        self.stats = Stats()
        self.api = api.State(config)
        storage = Storage(config.data_dir / "cos", config.clock)
        self.cos = CosService(Context(config, self.credentials, self.stats, config.clock, storage))

    @property
    def clock(self) -> float:
        return self.config.clock()

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if api.is_api_request(environ):
            return api.handle(self, environ, start_response, {"sts": sts.STS, "cam": cam.CAM})
        if path.startswith("/_localcloud/"):
            return self._introspect(path, start_response)
        return self.cos.handle(environ, start_response)

    def _introspect(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        body: dict[str, Any]
        if path == "/_localcloud/stats":
            status, body = "200 OK", {"counts": self.stats.snapshot()}
        elif path == "/_localcloud/health":
            status, body = "200 OK", {"status": "ok", "appid": self.config.appid}
        else:
            status, body = "404 Not Found", {"error": f"no such introspection endpoint: {path}"}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
