"""`make soak-cluster` (`python -m bench.soak_cluster`): two portal hosts on one PostgreSQL and one Redis, one of
them killed with SIGKILL mid-run and restarted, nothing lost.

Real processes on loopback: one localcloud, two portals under gunicorn ("host A" and "host B", different ports) with
the same DATABASE_URL (PostgreSQL database `soak_cluster`, dropped and created) and REDIS_URL (Redis database 7,
flushed), so one credential cache, one single flight, one throttle and one audit outbox. bench/soak.py's clients
(same mix: /sign, /sts, scoped /sts, listings and uploads to localcloud) are spread over both hosts. A third of the
way in, host B's master and workers are all killed with SIGKILL (a host lost, not a graceful stop); it is started
again on the same port a few seconds later. The run fails unless:

- host A answered no 5xx and no transport error (host B's clients may see connection errors while it is down);
- every acknowledged upload is read back with the same MD5;
- the audit rows of each host (told apart by the clients' User-Agent) equal the deliveries its clients received:
  exactly for host A; for host B at least as many, and at most as many more as requests were cut by the kill (a row
  is written before its answer leaves, so an answer lost to the kill may still have its row);
- localcloud saw one STS call per distinct policy the audit names (one per cold cache entry across both hosts).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import harness, soak
from tests.net import free_port

DATABASE = "soak_cluster"
REDIS_URL = "redis://127.0.0.1:6379/7"
DELIVERIES = ("sign", "sts", "sts_scoped")


@dataclass
class Host:
    name: str
    port: int
    log_dir: Path
    env: dict[str, str]
    workers: int
    threads: int
    portal: harness.Portal | None = None
    _context: contextlib.AbstractContextManager[harness.Portal] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        metrics_dir = self.log_dir / f"metrics-{self.name}"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # multiprocess metrics start empty with their server
        metrics_dir.mkdir(parents=True)
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        self._context = harness.portal(
            env, workers=self.workers, threads=self.threads, log_dir=self.log_dir, port=self.port, keep_alive=75
        )
        self.portal = self._context.__enter__()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: the host is gone, nothing gets to clean up."""
        assert self.portal is not None
        pids = [self.portal.process.pid, *self.portal.worker_pids()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.portal.process.wait(timeout=10)
        self.stop()

    def stop(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
        self._context = self.portal = None


class ClusterClient(soak.Client):
    """A soak client bound to one host, marking its requests with that host's User-Agent."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.session.headers["User-Agent"] = f"soak-cluster {self.stack.portal_url}"

    def call(self, kind: str, method: str, url: str, expected: set[int], **kwargs: Any) -> requests.Response | None:
        response = super().call(kind, method, url, expected, **kwargs)
        if response is None:
            time.sleep(0.05)  # the host is down: do not spin on refused connections
        return response


@dataclass
class Outcome:
    hosts: dict[str, soak.Tally] = field(default_factory=dict)
    audit_rows: dict[str, int] = field(default_factory=dict)
    distinct_policies: int = 0
    timed_by_metrics: float = 0.0  # host A's /metrics: /sign and /sts answers timed, summed over its workers
    sts_calls: int = 0
    acknowledged: int = 0
    verified: int = 0
    lost: list[str] = field(default_factory=list)
    killed_at: float = 0.0
    back_at: float = 0.0
    duration: float = 0.0

    def delivered(self, name: str) -> int:
        requests_ = self.hosts[name].requests
        return sum(requests_[f"{kind} 200"] for kind in DELIVERIES)

    def cut(self, name: str) -> int:
        requests_ = self.hosts[name].requests
        return sum(requests_[f"{kind} transport-error"] for kind in DELIVERIES)

    def answered(self, name: str) -> int:
        requests_ = self.hosts[name].requests
        return sum(
            count
            for label, count in requests_.items()
            if label.split()[0] in DELIVERIES and not label.endswith("transport-error")
        )

    def checks(self) -> dict[str, bool]:
        a, b = self.hosts["A"], self.hosts["B"]
        extra_b = self.audit_rows.get("B", 0) - self.delivered("B")
        return {
            "host A: no 5xx": not a.server_errors,
            "host A: no transport error": not a.transport_errors,
            "host A: no unexpected status": not a.unexpected,
            "host B: no 5xx": not b.server_errors,
            "every acknowledged upload read back": not self.lost and self.verified == self.acknowledged,
            "host A: audit rows == deliveries": self.audit_rows.get("A", 0) == self.delivered("A"),
            "host B: deliveries <= audit rows <= deliveries + cut": 0 <= extra_b <= self.cut("B"),
            "one STS call per cold entry": self.sts_calls == self.distinct_policies,
            "host A: /metrics sums its workers": self.timed_by_metrics == self.answered("A"),
        }

    @property
    def ok(self) -> bool:
        return all(self.checks().values())

    def lines(self) -> list[str]:
        out = [
            f"soak-cluster: {self.duration:.0f}s; host B killed at {self.killed_at:.1f}s, back at {self.back_at:.1f}s"
        ]
        for name, tally in sorted(self.hosts.items()):
            total = sum(tally.requests.values())
            out.append(f"  host {name}: {total} requests ({total / max(self.duration, 0.001):.0f}/s)")
            for label, count in sorted(tally.requests.items()):
                out.append(f"    {label:<28} {count:>8}")
            out.append(
                f"    5xx {len(tally.server_errors)}, unexpected {len(tally.unexpected)}, "
                f"transport errors {len(tally.transport_errors)}"
            )
            out.append(
                f"    deliveries {self.delivered(name)}, audit rows {self.audit_rows.get(name, 0)}, "
                f"cut by the kill {self.cut(name)}"
            )
        out.append(f"  uploads acknowledged {self.acknowledged}, read back with the same MD5 {self.verified}")
        out.append(f"  STS calls {self.sts_calls}, distinct policies delivered {self.distinct_policies}")
        out.append(f"  host A /metrics: {self.timed_by_metrics:.0f} /sign and /sts answers timed")
        for check, passed in self.checks().items():
            out.append(f"  {'ok  ' if passed else 'FAIL'} {check}")
        for tally in self.hosts.values():
            for problem in (tally.server_errors + tally.unexpected)[:10]:
                out.append(f"  ! {problem}")
        out.append("soak-cluster: OK" if self.ok else "soak-cluster: FAILED")
        return out


@contextlib.contextmanager
def cluster(*, workers: int, threads: int) -> Iterator[tuple[soak.Stack, Host, Host, harness.Localcloud]]:
    database_url = harness.fresh_postgres_db(DATABASE)
    if database_url is None:
        raise SystemExit(f"soak-cluster needs PostgreSQL at 127.0.0.1:5432 (user postgres) for database {DATABASE}")
    if not harness.redis_available(REDIS_URL):
        raise SystemExit(f"soak-cluster needs Redis at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="soak-cluster-"))
    lc_port = free_port()
    localcloud_url = f"http://127.0.0.1:{lc_port}"
    env = harness.portal_env(
        var_dir=workdir / "var", localcloud_url=localcloud_url, database_url=database_url, redis_url=REDIS_URL
    )
    env.update({"LOCALCLOUD_DATA": str(workdir / "localcloud"), "PYTHONUNBUFFERED": "1"})
    password = secrets.token_urlsafe(12)
    data = Path(env["LOCALCLOUD_DATA"])
    hosts = [Host(name, free_port(), workdir, env, workers, threads) for name in ("A", "B")]
    try:
        with harness.localcloud(data, port=lc_port, log_path=workdir / "localcloud.log"):
            harness.manage(env, "migrate", "--noinput", timeout=180)
            harness.manage(env, "bootstrap_demo", "--password", password, timeout=180)
        with harness.localcloud(data, port=lc_port, log_path=workdir / "localcloud-2.log") as lc:
            for host in hosts:
                host.start()
            stack = soak.Stack(workdir, env, localcloud_url, "", password)
            try:
                yield stack, hosts[0], hosts[1], lc
            finally:
                for host in hosts:
                    host.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _audit_counts(database_url: str) -> tuple[dict[str, int], int]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT user_agent, count(*) FROM signer_issuedcredential GROUP BY user_agent").fetchall()
        distinct = conn.execute("SELECT count(DISTINCT scope_digest) FROM signer_issuedcredential").fetchone()
    return {str(agent): int(count) for agent, count in rows}, int(distinct[0] if distinct else 0)


def _timed(url: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "portal_sign_latency_seconds_count"
    )


def _sts_calls(localcloud_url: str) -> int:
    counts = requests.get(f"{localcloud_url}/_localcloud/stats", timeout=5).json()["counts"]
    return sum(int(v) for k, v in counts.items() if k in ("sts:GetFederationToken", "sts:AssumeRole"))


def run(*, duration: float = 60.0, clients: int = 20, workers: int = 2, threads: int = 8, down: float = 5.0) -> Outcome:
    outcome = Outcome()
    with cluster(workers=workers, threads=threads) as (stack, a, b, lc):
        print(f"soak-cluster: host A {a.url}, host B {b.url} (gunicorn x{workers} each), localcloud {lc.url}")
        sts_before = _sts_calls(lc.url)
        outcome.hosts = {"A": soak.Tally(), "B": soak.Tally()}
        team = []
        for number in range(clients):
            host = a if number % 2 == 0 else b
            bound = dataclasses.replace(stack, portal_url=host.url)
            tally = outcome.hosts[host.name]
            team.append(ClusterClient(number, soak.USERS[number % len(soak.USERS)], bound, tally, 0.0))
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(lambda client: client.login(), team))
        started = time.monotonic()
        for client in team:
            client.deadline = started + duration
        threads_ = [threading.Thread(target=client.run, daemon=True) for client in team]
        for thread in threads_:
            thread.start()
        time.sleep(duration / 3)
        b.kill()
        outcome.killed_at = time.monotonic() - started
        print(f"soak-cluster: host B killed (SIGKILL) at {outcome.killed_at:.1f}s")
        time.sleep(down)
        b.start()
        outcome.back_at = time.monotonic() - started
        print(f"soak-cluster: host B back at {outcome.back_at:.1f}s")
        for thread in threads_:
            thread.join(timeout=duration + 120)
        outcome.duration = time.monotonic() - started
        outcome.timed_by_metrics = _timed(a.url)
        # Rows still in the outbox, or in claims a killed drainer left, are written now (claims of any age).
        harness.manage(stack.env, "drain_audit", timeout=120)
        agents, outcome.distinct_policies = _audit_counts(stack.env["DATABASE_URL"])
        outcome.audit_rows = {h.name: agents.get(f"soak-cluster {h.url}", 0) for h in (a, b)}
        outcome.sts_calls = _sts_calls(lc.url) - sts_before
        uploads = {**outcome.hosts["A"].uploads, **outcome.hosts["B"].uploads}
        outcome.acknowledged = len(uploads)
        outcome.verified, outcome.lost = soak.verify(stack, uploads)
    for line in outcome.lines():
        print(line)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak_cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="client threads, half per host (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host (default 2)")
    parser.add_argument("--down", type=float, default=5.0, help="seconds host B stays down (default 5)")
    args = parser.parse_args(argv)
    outcome = run(duration=args.duration, clients=args.clients, workers=args.workers, down=args.down)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
