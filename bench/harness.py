"""What every benchmark shares: result tables, the machine, localcloud and the portal as real processes, RSS
sampling and the wrk load generator.

Everything listens on 127.0.0.1 on free ports and keeps its data in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.net import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
WRK_DIR = BENCH_DIR / "wrk"
PYTHON = sys.executable
# Temporary data lives on the same disk as the project (not a tmpfs), so disk numbers mean something.
SCRATCH = Path(os.environ.get("BENCH_SCRATCH", ROOT / "var" / "bench"))

MiB = 1024 * 1024
GiB = 1024 * MiB


# ------------------------------------------------------------------------------------------------------ results


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *row: Any) -> None:
        self.rows.append(list(row))

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "notes": self.notes}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def machine_line(info: Mapping[str, Any] | None = None) -> str:
    info = info or machine()
    return (
        f"{info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB RAM, Linux {info['kernel']}, "
        f"Python {info['python']}"
    )


def report(name: str, command: str, tables: Sequence[Table], extra: Mapping[str, Any] | None = None) -> Path:
    """Print the tables and write them to bench/results/<name>.md and .json; returns the markdown path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n\n".join(table.markdown() for table in tables)
    text = f"### {name}\n\n`{command}` — {when} — {machine_line(info)}\n\n{body}\n"
    print("\n" + text, flush=True)
    md = RESULTS_DIR / f"{name}.md"
    md.write_text(text)
    payload = {
        "name": name,
        "command": command,
        "when": when,
        "machine": info,
        "tables": [table.as_dict() for table in tables],
        **(extra or {}),
    }
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return md


# ---------------------------------------------------------------------------------------------------- processes


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def wait_http(url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Localcloud:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_localcloud/stats", timeout=10) as response:
            counts: dict[str, int] = json.loads(response.read())["counts"]
        return counts


@contextlib.contextmanager
def localcloud(
    data_dir: Path | None = None, *, port: int | None = None, log_path: Path | None = None
) -> Iterator[Localcloud]:
    """`python -m localcloud` as a separate process with its own data folder (kept if given), on `port` or a free
    one; its output goes to `log_path` (kept: the caller reads it) or to a log file removed afterwards."""
    with contextlib.ExitStack() as stack:
        data = data_dir or stack.enter_context(scratch_dir("localcloud-"))
        remove_log = data_dir is not None and log_path is None
        log_path = log_path or (data.parent if data_dir else data) / f"localcloud-{secrets.token_hex(3)}.log"
        port = port or free_port()
        log = stack.enter_context(open(log_path, "ab"))
        env = {**os.environ, "LOCALCLOUD_DATA": str(data)}
        for name in ("LOCALCLOUD_SECRET_ID", "LOCALCLOUD_SECRET_KEY", "LOCALCLOUD_APPID"):
            env.pop(name, None)
        process = subprocess.Popen(
            [PYTHON, "-m", "localcloud", "--host", "127.0.0.1", "--port", str(port), "--data", str(data)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/_localcloud/health", process=process)
            yield Localcloud(process, port, data, log_path)
        finally:
            stop_process(process)
            if remove_log:
                log_path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------------------- RSS


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


class RssSampler:
    """Samples a process' VmRSS every `interval` seconds while in use; `growth_mib` = peak - RSS at start."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.start_kib = 0
        self.peak_kib = 0
        self.end_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.start_kib = self.peak_kib = rss_kib(self.pid)["VmRSS"]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.end_kib = rss_kib(self.pid)["VmRSS"]
        self.peak_kib = max(self.peak_kib, self.end_kib)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(OSError, KeyError):
                self.peak_kib = max(self.peak_kib, rss_kib(self.pid)["VmRSS"])

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.start_kib) / 1024


# ------------------------------------------------------------------------------------------------------- portal


@dataclass
class Portal:
    process: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]


def portal_env(*, var_dir: Path, localcloud_url: str, database_url: str, redis_url: str = "") -> dict[str, str]:
    """Production-style settings (DEBUG off, PostgreSQL, Redis) plus the bench-only URLs (bench/settings.py)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CLOUD_BACKEND": "local",
        "DEBUG": "false",
        "PORTAL_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "DATABASE_URL": database_url,
        "LOCALCLOUD_URL": localcloud_url,
        "LOCALCLOUD_PUBLIC_URL": localcloud_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Loopback HTTP: no TLS redirect, no secure-only cookies (a TLS proxy would sit in front in production).
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        # The benchmarks send far more than a person would: the throttle still runs, with room for the load.
        "SIGNER_RATE": "1000000/min",
        "SIGNER_STS_RATE": "1000000/min",
        "SIGNER_LOGIN_RATE": "1000000/min",
        "LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    else:
        env.pop("REDIS_URL", None)
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def bench_tool(env: Mapping[str, str], *args: str, timeout: float = 600) -> Any:
    """`python -m bench.fixtures ...` under the portal's settings; its stdout is JSON."""
    result = subprocess.run(
        [PYTHON, "-m", "bench.fixtures", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.fixtures {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


def fresh_postgres_db(name: str, base: str = "postgres://postgres@127.0.0.1:5432") -> str | None:
    """Drop and create database `name`; its URL, or None when PostgreSQL is not reachable."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return None
    return f"{base}/{name}"


def redis_available(url: str) -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def portal(
    env: dict[str, str],
    *,
    workers: int = 2,
    threads: int = 4,
    log_dir: Path,
    port: int | None = None,
    keep_alive: int = 30,
) -> Iterator[Portal]:
    """The portal under gunicorn (gthread workers) on `port` or a free one.

    `keep_alive`: gunicorn closes idle keep-alive connections after 2 s by default, racing clients that reuse them (a
    reset, not a server fault). Behind a proxy the proxy holds them; here the load generator does.
    """
    # With DEBUG off the pages link the hashed names collectstatic writes (whitenoise serves them).
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    port = port or free_port()
    log_path = log_dir / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--backlog",
                "2048",
                "--keep-alive",
                str(keep_alive),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
        yield Portal(process, port, env, log_path)
    finally:
        stop_process(process)


# ----------------------------------------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    label: str
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def wrk(
    label: str,
    url: str,
    *,
    connections: int = 50,
    threads: int = 2,
    duration: float = 15,
    script: str = "auth.lua",
    env: Mapping[str, str] | None = None,
) -> WrkResult:
    """Run wrk against `url` with a Lua script from bench/wrk/; its done() prints one JSON line we parse."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(duration)}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    result = subprocess.run(
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=duration + 60
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line)
    return WrkResult(
        label=label,
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        non_2xx=int(data["status"]),
        socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
    )


def have_wrk() -> bool:
    return shutil.which("wrk") is not None
