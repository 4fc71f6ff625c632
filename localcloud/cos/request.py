"""A parsed COS request and the response the handlers give back."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qsl, quote

from localcloud.cos.addressing import Target, resolve
from localcloud.cos.errors import CosError
from localcloud.numbers import ascii_int

StartResponse = Any
Environ = dict[str, Any]
CHUNK = 1024 * 1024


def new_request_id() -> str:
    return secrets.token_hex(12)


@dataclass
class CosRequest:
    environ: Environ
    request_id: str
    method: str
    host: str
    raw_path: str
    target: Target
    # Query parameters, decoded with unquote_plus (the Python SDK sends spaces as '+'). Names keep their case.
    params: dict[str, str]
    # Header names in lower case.
    headers: dict[str, str]
    # The operation once routed, with its sub-resources ("ListParts?uploadid"), for the request log.
    operation: str = ""

    @classmethod
    def from_environ(cls, environ: Environ, request_id: str) -> CosRequest:
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if raw_uri:
            raw_path = raw_uri.split("?", 1)[0]
            if "://" in raw_path:  # absolute-form request target
                raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        else:
            raw_path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/")
        headers: dict[str, str] = {}
        for name, value in environ.items():
            if name.startswith("HTTP_"):
                headers[name[5:].replace("_", "-").lower()] = value
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        host = headers.get("host") or environ.get("SERVER_NAME", "")
        query = environ.get("QUERY_STRING", "")
        params = _unique_params(parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"))
        target = resolve(host, raw_path)
        return cls(
            environ, request_id, environ.get("REQUEST_METHOD", "GET").upper(), host, raw_path, target, params, headers
        )

    @property
    def remote_addr(self) -> str | None:
        value = self.environ.get("REMOTE_ADDR")
        return str(value) if value else None

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None or value == "":
            return None
        length = ascii_int(value.strip(), 19)
        if length is None:
            raise CosError(
                400, "InvalidArgument", f"Content-Length must be a non-negative integer, got {value[:40]!r}."
            )
        return length

    @property
    def body(self) -> BinaryIO:
        """The body as the server streams it in. Failing to read it is the client's doing (the connection dropped or
        went silent, the chunked coding is broken): a 400, not an InternalError."""
        return cast(BinaryIO, _ClientBody(self.environ["wsgi.input"]))  # only read() is ever called

    def read_small_body(self, limit: int = 4 * 1024 * 1024) -> bytes:
        """A small XML body (CORS rules, the part list); larger ones are refused."""
        length = self.content_length
        if length is not None and length > limit:
            raise CosError(400, "EntityTooLarge", f"The XML body may be at most {limit} bytes.")
        data = self.body.read(length if length is not None else limit + 1)
        if len(data) > limit:
            raise CosError(400, "EntityTooLarge", f"The XML body may be at most {limit} bytes.")
        return bytes(data)


def _unique_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The query as a mapping; a name given twice, in any case, is refused. The signature check and the handlers
    both read parameters by name case-insensitively, so with two copies the one signed and the one acted on could
    differ (a `Response-Content-Disposition` placed before the signed `response-content-disposition`). COS's answer to
    a duplicated parameter is not documented; 400 InvalidArgument is its answer to a malformed parameter."""
    params: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name.lower() in seen:
            raise CosError(400, "InvalidArgument", f"The query parameter {name[:60]!r} is given more than once.")
        seen.add(name.lower())
        params[name] = value
    return params


class _ClientBody:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except TimeoutError as exc:
            raise CosError(
                400,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout period.",
            ) from exc
        except (OSError, ValueError) as exc:
            raise CosError(400, "IncompleteBody", f"The request body could not be read whole: {exc}.") from exc


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # A file to stream instead of `body`: (open file, offset, length).
    file: tuple[BinaryIO, int, int] | None = None

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def send(self, environ: Environ, start_response: StartResponse, head: bool) -> Iterable[bytes]:
        status = f"{self.status} {HTTPStatus(self.status).phrase}"
        headers = list(self.headers)
        if self.file is not None:
            handle, offset, length = self.file
            headers.append(("Content-Length", str(length)))
            start_response(status, headers)
            if head:
                handle.close()
                return []
            handle.seek(offset)
            wrapper = environ.get("wsgi.file_wrapper")
            if wrapper is not None and length > 0 and _is_file(handle):
                # The server's file wrapper (localcloud/server.py: sendfile) sends exactly Content-Length bytes from
                # the current position. Without one, the 1 MiB pieces of _read_range.
                result: Iterable[bytes] = wrapper(handle, CHUNK)
                return result
            return _read_range(handle, length)
        if self.header("Content-Length") is None:  # HEAD answers carry the object's length, not the body's
            headers.append(("Content-Length", str(len(self.body))))
        start_response(status, headers)
        return [] if head else [self.body]


def _is_file(handle: BinaryIO) -> bool:
    """A plain file, which sendfile() can send (a multipart object's segments are read in pieces instead)."""
    try:
        handle.fileno()
    except (OSError, ValueError):
        return False
    return True


def _read_range(handle: BinaryIO, length: int) -> Iterator[bytes]:
    try:
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()
