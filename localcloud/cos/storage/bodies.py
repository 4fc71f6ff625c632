"""Object and part bodies on disk: received into tmp/, fsynced, renamed into blobs/ under a random id.

    blobs/ab/<id>       object and part bodies, named by a random id (never by key, so a key cannot escape)
    tmp/<id>            bodies being received; same filesystem as blobs/, so os.replace is atomic

A multipart object's body is its parts' bodies read in order (`Concatenated`).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import itertools
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.cos.errors import CosError

log = logging.getLogger("localcloud.cos.storage")

CHUNK = 1024 * 1024
RECEIVE_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Received:
    """A body streamed to a temporary file, not yet visible anywhere."""

    path: Path
    size: int
    md5: bytes


class Bodies:
    def __init__(self, root: Path) -> None:
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        for folder in (root, self.blobs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)

    def path(self, blob: str) -> Path:
        return self.blobs / blob[:2] / blob

    def remove(self, blob: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(blob).unlink()

    def clean(self, used: set[str]) -> None:
        """Startup: drop bodies that never made it (tmp/) and bodies no row refers to (a crash between steps)."""
        for leftover in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        for shard in self.blobs.iterdir():
            if not shard.is_dir():
                continue
            for blob in shard.iterdir():
                if blob.name not in used:
                    log.info("removing orphaned body %s", blob.name)
                    with contextlib.suppress(FileNotFoundError):
                        blob.unlink()

    def receive(self, stream: BinaryIO, length: int | None, on_bytes: Callable[[int], None]) -> Received:
        """Stream a request body into a temporary file, never holding it whole in memory.

        Read in RECEIVE_CHUNK pieces; from the second piece on, the MD5 of one piece runs in a helper thread while
        the next is read and written (hashlib releases the GIL on large buffers), so hashing costs no wall time.
        With a Content-Length, a shorter body raises IncompleteBody and nothing is kept.
        """
        path = self.tmp / secrets.token_hex(16)
        try:
            with open(path, "wb", buffering=0) as out, _Hasher() as md5:
                size = _copy(stream, out, length, md5, on_bytes)
                if length is not None and size < length:
                    raise CosError(
                        400,
                        "IncompleteBody",
                        f"You did not provide the number of bytes specified by the Content-Length header: "
                        f"received {size} of {length}.",
                    )
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            raise
        return Received(path, size, md5.digest())

    def discard(self, received: Received) -> None:
        with contextlib.suppress(FileNotFoundError):
            received.path.unlink()

    def place(self, received: Received) -> str:
        """Move a received body into blobs/ under a fresh random id (atomic rename on the same filesystem)."""
        blob = secrets.token_hex(16)
        target = self.path(blob)
        target.parent.mkdir(exist_ok=True)
        os.replace(received.path, target)
        _fsync_dir(target.parent)
        return blob

    def link(self, blob: str) -> str:
        """A second name for a stored body (a copy): a hard link, so neither data nor memory is spent and each name
        is deleted on its own. Where the filesystem has no hard links, the body is copied file to file."""
        new = secrets.token_hex(16)
        target = self.path(new)
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(self.path(blob), target)
        except FileNotFoundError:
            raise
        except OSError:
            shutil.copyfile(self.path(blob), target)
            with open(target, "rb") as copied:
                os.fsync(copied.fileno())
        _fsync_dir(target.parent)
        return new

    def write(self, body: bytes) -> str:
        """A small body written straight into blobs/, not fsynced: the caller syncs many at once."""
        blob = secrets.token_hex(16)
        path = self.path(blob)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
        return blob

    def open(self, blob: str) -> BinaryIO:
        return open(self.path(blob), "rb")

    def open_segments(self, segments: list[tuple[str, int]]) -> BinaryIO:
        return io.BufferedReader(Concatenated([(self.path(blob), size) for blob, size in segments]), buffer_size=CHUNK)


class _Hasher:
    """MD5 of a stream read in pieces: the first piece inline, the others in one helper thread."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5()  # noqa: S324 - the protocol's ETag
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def __enter__(self) -> _Hasher:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def add(self, chunk: bytes, *, alone: bool) -> None:
        self.wait()
        if alone:  # the whole body in one piece: not worth a thread
            self._md5.update(chunk)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="md5")
        self._pending = self._pool.submit(self._md5.update, chunk)

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def digest(self) -> bytes:
        self.wait()
        return self._md5.digest()


def _copy(stream: BinaryIO, out: BinaryIO, length: int | None, md5: _Hasher, on_bytes: Callable[[int], None]) -> int:
    size = 0
    while length is None or size < length:
        want = RECEIVE_CHUNK if length is None else min(RECEIVE_CHUNK, length - size)
        chunk = stream.read(want)
        if not chunk:
            break
        md5.add(chunk, alone=size == 0 and (length is None or length <= len(chunk)))
        view = memoryview(chunk)
        while view:
            view = view[out.write(view) :]
        size += len(chunk)
        on_bytes(len(chunk))
    md5.wait()
    return size


class Concatenated(io.RawIOBase):
    """The segments of a multipart object read as one seekable file; each segment file is opened when reached.

    A segment deleted meanwhile (the object replaced while it is read) raises FileNotFoundError at that point: the
    answer then ends short of its Content-Length, which clients detect."""

    def __init__(self, segments: list[tuple[Path, int]]) -> None:
        super().__init__()
        self._segments = segments
        self._starts = list(itertools.accumulate((size for _, size in segments), initial=0))
        self._size = self._starts[-1]
        self._position = 0
        self._index = -1
        self._file: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        if index != self._index or self._file is None:
            self._close_file()
            self._file = open(self._segments[index][0], "rb", buffering=0)  # noqa: SIM115 - kept open while reading
            self._index = index
        start, end = self._starts[index], self._starts[index + 1]
        self._file.seek(self._position - start)
        view = memoryview(buffer)[: end - self._position]
        read = self._file.readinto(view)  # type: ignore[attr-defined]
        if not read:
            raise OSError(f"segment {self._segments[index][0].name} is shorter than recorded")
        self._position += read
        return int(read)

    def close(self) -> None:
        self._close_file()
        super().close()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
