"""The raw loopback + disk baseline: the fastest a plain Python server could move the same bytes.

PUT: a client streams N bytes over a loopback TCP socket to a separate process that writes them into a file in
1 MiB chunks and fsyncs it before answering. GET: that process reads the file in 1 MiB chunks and writes them to the
socket; the client reads and discards them. Same chunk size, same disk, same page cache as localcloud gets.

    python -m bench.baseline serve PORT DIR     (what the benchmark starts)
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import PYTHON, ROOT, MiB, free_port, stop_process

CHUNK = MiB


def body(size: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """`size` bytes of a fixed pattern, one reused chunk at a time: never the whole body in memory."""
    block = (bytes(range(256)) * (chunk // 256 + 1))[:chunk]
    sent = 0
    while sent < size:
        piece = block if size - sent >= chunk else block[: size - sent]
        sent += len(piece)
        yield piece


def _serve_one(conn: socket.socket, directory: Path) -> None:
    reader = conn.makefile("rb")
    command = reader.readline().decode().split()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    if command[0] == "PUT":
        size, name = int(command[1]), command[2]
        received = 0
        with open(directory / name, "wb") as out:
            while received < size:
                n = reader.readinto(view[: min(CHUNK, size - received)])
                if not n:
                    break
                out.write(view[:n])
                received += n
            out.flush()
            os.fsync(out.fileno())
        conn.sendall(f"{received}\n".encode())
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

    def put(self, name: str, size: int) -> float:
        """Seconds to send `size` bytes and have them fsynced into a file."""
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port)) as conn:
            conn.sendall(f"PUT {size} {name}\n".encode())
            for piece in body(size):
                conn.sendall(piece)
            answer = conn.makefile("rb").readline()
        elapsed = time.perf_counter() - started
        if int(answer) != size:
            raise RuntimeError(f"baseline stored {answer!r} bytes of {size}")
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
