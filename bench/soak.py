"""`make soak` (`python -m bench.soak`): the portal and localcloud under sustained mixed load, nothing lost.

Real processes on loopback: localcloud (`python -m localcloud`), the portal under gunicorn (gthread workers), users
from `manage.py bootstrap_demo --password ...`, all in a temporary folder (PORTAL_VAR_DIR, LOCALCLOUD_DATA,
LOCALCLOUD_URL). N client threads (bounded: one request in flight per client) log in for a token, then until the
deadline mix

    GET /sign, GET /sts, POST /sts with scopes      (the portal)
    GetBucket on the user's own prefix              (localcloud, with the portal's temporary credentials)
    PutObject of 1-64 KiB with Content-MD5          (localcloud, same credentials)

and count every answer. Afterwards every acknowledged upload is read back with the root keys and its MD5 compared.
The run fails (exit status 1) on any 5xx, any transport error, any unexpected status, or any upload that is missing or
differs. `--duration 60 --clients 50` by default; tests/hardening/test_soak_short.py runs 5 s with 10 clients.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import requests

from bench import harness
from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from qcloud.cos_signature import make_authorization
from tests.net import free_port

REGION = "ap-guangzhou"
BUCKET = f"demo-{DEFAULT_APPID}"
# Path style signs the bucket's virtual host as `host`: localcloud refuses a path-style signature that binds no bucket.
BUCKET_HOST = {"host": f"{BUCKET}.cos.{REGION}.localhost"}
# The emulator's documented development keys: what the read-back uses, and what localcloud prints at start on purpose.
ROOT_SECRET_ID = DEFAULT_SECRET_ID
ROOT_SECRET_KEY = DEFAULT_SECRET_KEY
USERS = ("alice", "bob")
# Weighted mix of what one client does next.
MIX = (("sign", 3), ("sts", 3), ("sts_scoped", 2), ("list", 3), ("upload", 5))
REFRESH_MARGIN = 120  # fetch new credentials this long before the held ones expire


@dataclass
class Stack:
    """localcloud + portal as real processes, in a temporary folder that is removed afterwards."""

    workdir: Path
    env: dict[str, str]
    localcloud_url: str
    portal_url: str
    password: str
    logs: list[Path] = field(default_factory=list)

    def log_tail(self, lines: int = 40) -> str:
        text = []
        for path in self.logs:
            content = path.read_text(errors="replace").splitlines()[-lines:]
            text.append(f"--- {path.name}\n" + "\n".join(content))
        return "\n".join(text)


@contextlib.contextmanager
def running_stack(*, workers: int = 4, threads: int = 16) -> Iterator[Stack]:
    """localcloud and the portal (bench/harness.py's processes) with users from bootstrap_demo, on SQLite."""
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    lc_port = free_port()
    localcloud_url = f"http://127.0.0.1:{lc_port}"
    var = workdir / "var"
    env = harness.portal_env(
        var_dir=var, localcloud_url=localcloud_url, database_url=f"sqlite:///{var / 'portal.sqlite3'}"
    )
    env.update({"LOCALCLOUD_DATA": str(workdir / "localcloud"), "PYTHONUNBUFFERED": "1"})
    password = secrets.token_urlsafe(12)
    stack = Stack(workdir, env, localcloud_url, "", password)
    data = Path(env["LOCALCLOUD_DATA"])
    try:
        with contextlib.ExitStack() as processes:
            first = workdir / "localcloud.log"
            stack.logs.append(first)
            with harness.localcloud(data, port=lc_port, log_path=first):
                harness.manage(env, "migrate", "--noinput", timeout=120)
                harness.manage(env, "bootstrap_demo", f"--password={password}", timeout=120)
            # bootstrap_demo may write roles and sub-accounts into the data folder, which localcloud reads at start.
            second = workdir / "localcloud-2.log"
            stack.logs.append(second)
            processes.enter_context(harness.localcloud(data, port=lc_port, log_path=second))
            portal = processes.enter_context(
                harness.portal(env, workers=workers, threads=threads, log_dir=workdir, keep_alive=75)
            )
            stack.portal_url = portal.url
            stack.logs.append(portal.log_path)
            yield stack
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------- load


@dataclass
class Tally:
    """What the clients saw; shared by all client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)  # "sign 200", "upload 200", ...
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # key -> md5 hex of what was acknowledged
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # Temporary secret keys, session tokens and API tokens handed out (kept only when asked, for leak checks).
    collect_secrets: bool = False
    secrets: set[str] = field(default_factory=set)

    def delivered(self, response: requests.Response) -> None:
        if not self.collect_secrets or response.status_code != 200:
            return
        body = response.json()
        creds = body.get("credentials") or (body.get("data") or {}).get("credentials") or {}
        with self.lock:
            self.secrets.update(
                v for v in (creds.get("tmpSecretKey"), creds.get("sessionToken"), body.get("token")) if v
            )

    def record(self, kind: str, response: requests.Response, elapsed: float, expected: set[int]) -> None:
        with self.lock:
            self.requests[f"{kind} {response.status_code}"] += 1
            self.latencies.setdefault(kind, []).append(elapsed)
            if response.status_code >= 500:
                self.server_errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
            elif response.status_code not in expected:
                self.unexpected.append(f"{kind}: {response.status_code} {response.text[:200]}")

    def failed(self, kind: str, exc: Exception) -> None:
        with self.lock:
            self.requests[f"{kind} transport-error"] += 1
            self.transport_errors.append(f"{kind}: {type(exc).__name__}: {str(exc)[:200]}")


@dataclass
class Client:
    number: int
    username: str
    stack: Stack
    tally: Tally
    deadline: float
    session: requests.Session = field(default_factory=requests.Session)
    token: str = ""
    credentials: dict[str, Any] | None = None
    expires: int = 0
    uploads: int = 0

    def __post_init__(self) -> None:
        self.session.trust_env = False  # loopback only, never through a proxy from the environment
        self.random = random.Random(self.number)

    def call(self, kind: str, method: str, url: str, expected: set[int], **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.tally.failed(kind, exc)
            return None
        self.tally.record(kind, response, time.perf_counter() - started, expected)
        if kind in {"login", "sign", "sts", "sts_scoped"}:
            self.tally.delivered(response)
        return response

    def portal(self, kind: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        return self.call(kind, method, f"{self.stack.portal_url}{path}", {200}, headers=headers, **kwargs)

    def login(self) -> bool:
        response = self.call(
            "login",
            "POST",
            f"{self.stack.portal_url}/api/auth/login",
            {200},
            json={"username": self.username, "password": self.stack.password},
        )
        if response is None or response.status_code != 200:
            return False
        self.token = response.json()["token"]
        return True

    def held_credentials(self) -> dict[str, Any] | None:
        if self.credentials is None or time.time() > self.expires - REFRESH_MARGIN:
            response = self.portal("sts", "GET", "/sts")
            if response is None or response.status_code != 200:
                return None
            body = response.json()
            self.credentials, self.expires = body["credentials"], int(body["expiredTime"])
        return self.credentials

    def cos(self, kind: str, method: str, key: str, *, params: dict[str, str] | None = None, **kwargs: Any) -> Any:
        creds = self.held_credentials()
        if creds is None:
            return None
        headers = dict(kwargs.pop("headers", {}))
        headers["Authorization"] = make_authorization(
            creds["tmpSecretId"], creds["tmpSecretKey"], method, key, params=params or {}, headers=BUCKET_HOST
        )
        headers["x-cos-security-token"] = creds["sessionToken"]
        url = f"{self.stack.localcloud_url}/cos/{REGION}/{BUCKET}/{quote(key, safe='/')}"
        return self.call(kind, method, url, {200}, params=params, headers=headers, **kwargs)

    def step(self) -> None:
        kinds, weights = zip(*MIX, strict=True)
        kind = self.random.choices(kinds, weights)[0]
        own = f"users/{self.username}/"
        if kind == "sign":
            self.portal("sign", "GET", "/sign")
        elif kind == "sts":
            self.portal("sts", "GET", "/sts")
        elif kind == "sts_scoped":
            scope = {"action": "name/cos:PutObject", "bucket": BUCKET, "region": REGION, "prefix": f"{own}soak/x"}
            self.portal("sts_scoped", "POST", "/sts", json={"scopes": [scope]})
        elif kind == "list":
            self.cos("list", "GET", "", params={"prefix": f"{own}soak/", "max-keys": "20"})
        else:
            body = self.random.randbytes(self.random.randint(1024, 64 * 1024))
            key = f"{own}soak/c{self.number}-{self.uploads}"
            self.uploads += 1
            digest = hashlib.md5(body).digest()  # noqa: S324 - the protocol's Content-MD5
            response = self.cos(
                "upload", "PUT", key, data=body, headers={"Content-MD5": base64.b64encode(digest).decode()}
            )
            if response is not None and response.status_code == 200:
                with self.tally.lock:
                    self.tally.uploads[key] = digest.hex()

    def run(self) -> None:
        """The load itself (after login): steps until the deadline."""
        if not self.token:
            return
        while time.monotonic() < self.deadline:
            self.step()
        self.session.close()


# -------------------------------------------------------------------------------------------------------- checks


@dataclass
class Report:
    duration: float
    clients: int
    requests: Counter[str]
    server_errors: list[str]
    unexpected: list[str]
    transport_errors: list[str]
    acknowledged: int
    verified: int
    lost: list[str]
    latencies: dict[str, list[float]]

    @property
    def ok(self) -> bool:
        return (
            not self.server_errors
            and not self.unexpected
            and not self.transport_errors
            and not self.lost
            and self.verified == self.acknowledged
        )

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def lines(self) -> list[str]:
        out = [
            f"soak: {self.duration:.0f}s, {self.clients} clients, {self.total} requests "
            f"({self.total / max(self.duration, 0.001):.0f}/s)"
        ]
        for name, count in sorted(self.requests.items()):
            out.append(f"  {name:<28} {count:>8}")
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            p50 = ordered[len(ordered) // 2] * 1000
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
            out.append(f"  latency {kind:<20} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
        five_xx = len(self.server_errors)
        out.append(f"  5xx answers                  {five_xx:>8}")
        out.append(f"  unexpected statuses          {len(self.unexpected):>8}")
        out.append(f"  transport errors             {len(self.transport_errors):>8}")
        out.append(f"  uploads acknowledged         {self.acknowledged:>8}")
        out.append(f"  uploads read back, same MD5  {self.verified:>8}")
        out.append(f"  uploads lost or different    {len(self.lost):>8}")
        for problem in (self.server_errors + self.unexpected + self.transport_errors + self.lost)[:20]:
            out.append(f"  ! {problem}")
        out.append("soak: OK" if self.ok else "soak: FAILED")
        return out


def verify(stack: Stack, uploads: dict[str, str]) -> tuple[int, list[str]]:
    """Read every acknowledged upload back with the root keys; (number verified, problems)."""
    session = requests.Session()
    session.trust_env = False
    problems: list[str] = []

    def check(item: tuple[str, str]) -> bool:
        key, md5 = item
        auth = make_authorization(ROOT_SECRET_ID, ROOT_SECRET_KEY, "GET", key, headers=BUCKET_HOST)
        url = f"{stack.localcloud_url}/cos/{REGION}/{BUCKET}/{quote(key, safe='/')}"
        response = session.get(url, headers={"Authorization": auth}, timeout=30)
        if response.status_code != 200:
            problems.append(f"{key}: {response.status_code} on read-back")
            return False
        got = hashlib.md5(response.content).hexdigest()  # noqa: S324 - comparing bodies
        if got != md5:
            problems.append(f"{key}: MD5 {got} != acknowledged {md5}")
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        verified = sum(pool.map(check, sorted(uploads.items())))
    return verified, problems


def run(
    *,
    duration: float = 60.0,
    clients: int = 50,
    workers: int = 4,
    out: IO[str] | None = None,
    inspect: Callable[[Stack, Tally], None] | None = None,
) -> Report:
    """The soak; `inspect(stack, tally)` runs before the processes stop and the folder is removed (tests use it to
    look at the portal's database file and logs; the tally then keeps every secret handed out)."""
    out = out or sys.stdout
    with running_stack(workers=workers) as stack:
        print(f"soak: portal {stack.portal_url} (gunicorn x{workers}), localcloud {stack.localcloud_url}", file=out)
        tally = Tally(collect_secrets=inspect is not None)
        # Log every client in first (password hashing is slow on purpose), then start the clock for the load.
        team = [Client(n, USERS[n % len(USERS)], stack, tally, 0.0) for n in range(clients)]
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(lambda client: client.login(), team))
        started = time.monotonic()
        for client in team:
            client.deadline = started + duration
        threads = [threading.Thread(target=client.run, name=f"soak-{client.number}", daemon=True) for client in team]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + 120)
        elapsed = time.monotonic() - started
        verified, lost = verify(stack, tally.uploads)
        report = Report(
            duration=elapsed,
            clients=clients,
            requests=tally.requests,
            server_errors=tally.server_errors,
            unexpected=tally.unexpected,
            transport_errors=tally.transport_errors,
            acknowledged=len(tally.uploads),
            verified=verified,
            lost=lost,
            latencies=tally.latencies,
        )
        if not report.ok:
            print(stack.log_tail(), file=out)
        if inspect is not None:
            inspect(stack, tally)
    for line in report.lines():
        print(line, file=out)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client threads (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    args = parser.parse_args(argv)
    report = run(duration=args.duration, clients=args.clients, workers=args.workers)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
