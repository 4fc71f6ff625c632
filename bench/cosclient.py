"""A minimal COS XML API client for the benchmarks: path style over one keep-alive http.client connection,
requests signed with localcloud's root keys (qcloud.cos_signature), bodies streamed both ways."""

from __future__ import annotations

import http.client
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from bench.harness import MiB
from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from qcloud.cos_signature import make_authorization

REGION = "ap-guangzhou"
APPID = DEFAULT_APPID


def encode(value: str) -> str:
    return quote(value, safe="-_.~")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    received: int  # bytes of body read (also when discarded)


class CosClient:
    def __init__(self, port: int, *, region: str = REGION, timeout: float = 600) -> None:
        self.port = port
        self.region = region
        self.host = f"127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def close(self) -> None:
        self.conn.close()

    def request(
        self,
        method: str,
        bucket: str,
        key: str = "",
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
        discard: bool = False,
    ) -> Answer:
        """One signed request; with `discard` the body is read in 1 MiB chunks and dropped (only counted)."""
        params = dict(params or {})
        # Path style must sign the bucket's virtual host (localcloud/cos/auth.py), with the port the Host header has.
        signed = {"host": f"{bucket}.cos.{self.region}.localhost:{self.port}"}
        authorization = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, method, key, params, signed)
        query = "&".join(f"{encode(k)}={encode(v)}" if v else encode(k) for k, v in params.items())
        path = f"/cos/{self.region}/{bucket}/{quote(key, safe='/')}" + (f"?{query}" if query else "")
        all_headers = {"Authorization": authorization, **(headers or {})}
        if body is None and method in ("PUT", "POST"):
            all_headers.setdefault("Content-Length", "0")
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        received = 0
        if discard:
            buffer = bytearray(MiB)
            while n := response.readinto(buffer):
                received += n
            data = b""
        else:
            data = response.read()
            received = len(data)
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data, received)
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path} answered {answer.status}: {data[:500]!r}")
        return answer

    def create_bucket(self, bucket: str) -> None:
        self.request("PUT", bucket)
