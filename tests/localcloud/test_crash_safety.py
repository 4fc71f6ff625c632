"""kill -9 in the middle of a PutObject over an existing key: after a restart the old object is intact.

localcloud runs as a real process (`python -m localcloud`); the slow upload is a raw socket sending a large body
a piece at a time, so the process dies with the body half received.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from qcloud.cos_signature import make_authorization
from tests.localcloud.conftest import REGION, cos_client, md5_hex

ROOT = Path(__file__).resolve().parents[2]
BUCKET = f"crash-{DEFAULT_APPID}"
KEY = "precious/report.bin"


class Process:
    def __init__(self, data: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "localcloud", "--host", "127.0.0.1", "--port", "0", "--data", str(data)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.host = "127.0.0.1"
        self.port = self._wait_for_port()
        # Keep reading its output so a full pipe never blocks it.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        with contextlib.suppress(ValueError, OSError):
            for _ in self.process.stdout:
                pass

    def _wait_for_port(self) -> int:
        assert self.process.stdout is not None
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if match:
                return int(match.group(1))
        raise AssertionError("localcloud did not start:\n" + "".join(seen))

    def client(self) -> CosS3Client:
        return cos_client(self)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "localcloud"


@pytest.fixture
def started(data_dir: Path) -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.stop()


def start(data_dir: Path, started: list[Process]) -> Process:
    process = Process(data_dir)
    started.append(process)
    return process


def read(client: CosS3Client, key: str = KEY) -> bytes:
    data: bytes = client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read()
    return data


def test_it_keeps_the_old_object_when_killed_mid_upload(data_dir: Path, started: list[Process]) -> None:
    first = start(data_dir, started)
    client = first.client()
    client.create_bucket(Bucket=BUCKET)
    old = b"version one, the one that must survive\n" * 1000
    client.put_object(Bucket=BUCKET, Key=KEY, Body=old)

    length = 32 * 1024 * 1024
    host = f"{BUCKET}.cos.{REGION}.myqcloud.com"
    headers = {"host": host, "content-length": str(length)}
    authorization = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", KEY, headers=headers)
    with socket.create_connection(("127.0.0.1", first.port), timeout=10) as sock:
        sock.sendall(
            (
                f"PUT /{KEY} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n"
                f"Authorization: {authorization}\r\n\r\n"
            ).encode()
        )
        for _ in range(8):  # a quarter of the body, a piece at a time
            sock.sendall(b"N" * (1024 * 1024))
        first.kill()

    second = start(data_dir, started)
    client = second.client()
    assert read(client) == old
    head = client.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ETag"] == f'"{md5_hex(old)}"'
    assert head["Content-Length"] == str(len(old))
    listed = client.list_objects(Bucket=BUCKET)
    assert [item["Key"] for item in listed["Contents"]] == [KEY]
    assert list((data_dir / "cos" / "tmp").iterdir()) == []


def test_it_cleans_leftovers_of_a_crash_at_startup(data_dir: Path, started: list[Process]) -> None:
    first = start(data_dir, started)
    client = first.client()
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key=KEY, Body=b"kept")
    first.kill()

    # What a kill leaves behind at other moments: a body still being received, and a body renamed into place
    # whose metadata row was never committed.
    half_received = data_dir / "cos" / "tmp" / "0123456789abcdef0123456789abcdef"
    half_received.write_bytes(b"half a body")
    orphan = data_dir / "cos" / "blobs" / "ff" / "ff0123456789abcdef0123456789abcd"
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"never committed")

    second = start(data_dir, started)
    assert not half_received.exists()
    assert not orphan.exists()
    assert read(second.client()) == b"kept"


def test_it_never_turns_a_short_body_into_an_object(tmp_path: Path) -> None:
    """The storage layer itself refuses a body shorter than its Content-Length and keeps nothing of it."""
    from io import BytesIO

    from localcloud.cos.errors import CosError
    from localcloud.cos.storage import Storage

    storage = Storage(Config(data_dir=tmp_path).data_dir / "cos", lambda: 0.0)
    with pytest.raises(CosError) as excinfo:
        storage.receive(BytesIO(b"only ten b"), 100, lambda n: None)
    assert excinfo.value.code == "IncompleteBody"
    assert list(storage.tmp.iterdir()) == []
