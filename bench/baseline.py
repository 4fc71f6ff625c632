"""The raw loopback + disk baseline: the fastest a plain Python server could move the same bytes.

PUT: a client streams N bytes over a loopback TCP socket to a separate process that writes them into a file in
1 MiB chunks and fsyncs it before answering. GET: that process reads the file in 1 MiB chunks and writes them to the
socket; the client reads and discards them. Same chunk size, same disk, same page cache as localcloud gets.

PUT with MD5 (`put(..., md5=True)`): the same copy, also MD5-ing the bytes as they pass, pipelined the way
localcloud's `Storage.receive` does it (a helper thread hashes one piece while the next is read and written). A COS
PUT must answer with the body's MD5 as its ETag, so this is the fastest any COS server in Python could take a PUT here:
the protocol's floor.

    python -m bench.baseline serve PORT DIR     (what the benchmark starts)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bench.harness import PYTHON, ROOT, MiB
from tests.net import free_port, stop_process

CHUNK = MiB


def body(size: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """`size` bytes of a fixed pattern, one reused chunk at a time: never the whole body in memory."""
    block = (bytes(range(256)) * (chunk // 256 + 1))[:chunk]
    sent = 0
    while sent < size:
        piece = block if size - sent >= chunk else block[: size - sent]
        sent += len(piece)
        yield piece


def _receive(reader: BinaryIO, path: Path, size: int) -> int:
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    received = 0
    with open(path, "wb") as out:
        while received < size:
            n = reader.readinto(view[: min(CHUNK, size - received)])
            if not n:
                break
            out.write(view[:n])
            received += n
        out.flush()
        os.fsync(out.fileno())
    return received


def _receive_hashing(reader: BinaryIO, path: Path, size: int) -> tuple[int, str]:
    """`_receive`, MD5-ing each piece in a helper thread while the next one is read and written (two buffers)."""
    views = [memoryview(bytearray(CHUNK)), memoryview(bytearray(CHUNK))]
    md5 = hashlib.md5()  # noqa: S324 - what a COS ETag is
    pending: Future[None] | None = None
    received = 0
    with ThreadPoolExecutor(1, thread_name_prefix="md5") as pool, open(path, "wb") as out:
        piece = 0
        while received < size:
            view = views[piece % 2]  # the other buffer may still be hashing
            n = reader.readinto(view[: min(CHUNK, size - received)])
            if not n:
                break
            if pending is not None:
                pending.result()
            pending = pool.submit(md5.update, view[:n])
            out.write(view[:n])
            received += n
            piece += 1
        if pending is not None:
            pending.result()
        out.flush()
        os.fsync(out.fileno())
    return received, md5.hexdigest()


def _serve_one(conn: socket.socket, directory: Path) -> None:
    reader = conn.makefile("rb")
    command = reader.readline().decode().split()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    if command[0] == "PUT":
        received = _receive(reader, directory / command[2], int(command[1]))
        conn.sendall(f"{received}\n".encode())
    elif command[0] == "PUTMD5":
        received, digest = _receive_hashing(reader, directory / command[2], int(command[1]))
        conn.sendall(f"{received} {digest}\n".encode())
    elif command[0] == "GET":
        path = directory / command[1]
        conn.sendall(f"{path.stat().st_size}\n".encode())
        with open(path, "rb") as source:
            while n := source.readinto(buffer):
                conn.sendall(view[:n])
    reader.close()


def serve(port: int, directory: Path) -> None:
    with socket.create_server(("127.0.0.1", port)) as server:
        print("ready", flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                _serve_one(conn, directory)


@dataclass
class Baseline:
    port: int
    process: subprocess.Popen[bytes]

    def put(self, name: str, size: int, *, md5: bool = False) -> float:
        """Seconds to send `size` bytes and have them fsynced into a file (and MD5-ed on the way, with `md5`)."""
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port)) as conn:
            conn.sendall(f"{'PUTMD5' if md5 else 'PUT'} {size} {name}\n".encode())
            for piece in body(size):
                conn.sendall(piece)
            answer = conn.makefile("rb").readline().split()
        elapsed = time.perf_counter() - started
        if not answer or int(answer[0]) != size or len(answer) != (2 if md5 else 1):
            raise RuntimeError(f"baseline answered {answer!r} for {size} bytes")
        return elapsed

    def get(self, name: str) -> tuple[float, int]:
        """Seconds to read a file back through the socket, and its size."""
        buffer = bytearray(CHUNK)
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port)) as conn:
            conn.sendall(f"GET {name}\n".encode())
            reader = conn.makefile("rb")
            size = int(reader.readline())
            received = 0
            while n := reader.readinto(buffer):
                received += n
        elapsed = time.perf_counter() - started
        if received != size:
            raise RuntimeError(f"baseline sent {received} bytes of {size}")
        return elapsed, size


@contextlib.contextmanager
def baseline(directory: Path) -> Iterator[Baseline]:
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.baseline", "serve", str(port), str(directory)], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"ready":
            raise RuntimeError("baseline server did not start")
        yield Baseline(port, process)
    finally:
        stop_process(process)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "serve":
        sys.exit("usage: python -m bench.baseline serve PORT DIR")
    serve(int(sys.argv[2]), Path(sys.argv[3]))
