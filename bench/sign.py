"""/sign under load, beside the ceiling of the stack and the reference service's way, in one run (issue 5 #1-#3).

Real processes on 127.0.0.1: localcloud (`python -m localcloud`), the portal under gunicorn (2 gthread workers) with
production-style settings (DEBUG off, PostgreSQL, Redis cache shared by the workers; SQLite + local memory when those
are not running), wrk as the load generator with bench/wrk/auth.lua (knox tokens of 100 users, round robin).

1. /sign from the cache vs a bare authenticated DRF view returning constant JSON (bench/views.py) at 50 connections:
   target >= 70 % of its requests per second, p99 reported. Beside them: the uncached path (POST /sign with a scope on
   a key never asked for, so every request is an STS round trip to localcloud) and a seed-style handler (no auth, one
   STS call per request, like cossign).
2. STS calls per 10,000 /sign requests from 100 users over 60 s, cache cold at the start (a fresh cache prefix), each
   user on its own schedule (Python threads): target <= 100 (localcloud's own counter, GET /_localcloud/stats).
3. An audit row (IssuedCredential) for every delivery: rows added during each wrk run vs the 2xx answers wrk counted
   (wrk drops answers still in flight when it stops: those rows are real but uncounted, at most one per connection),
   and an exact check: a fixed number of requests from Python, rows added == 200 answers.

    python -m bench.sign [--duration 15] [--threads 4] [--users 100] [--paced-seconds 60] [--sweep]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import Table, WrkResult, verdict

BUCKET = "bench-1250000000"
REGION = "ap-guangzhou"
POSTGRES_DB = "bench_portal"
REDIS_URL = "redis://127.0.0.1:6379/7"
CONNECTIONS = 50


@dataclass
class Stack:
    work: Path
    cloud: harness.Localcloud
    env: dict[str, str]
    users: list[dict[str, str]]
    tokens_file: Path
    password: str
    database: str
    cache: str

    def fresh_env(self) -> dict[str, str]:
        """The same settings with a new cache prefix: a cold credential cache, as after a deploy."""
        env = dict(self.env)
        if "CACHE_KEY_PREFIX" in env:
            env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
        return env

    def audit(self) -> dict[str, int]:
        result: dict[str, int] = harness.bench_tool(self.env, "count")
        return result

    def sts_calls(self) -> int:
        return self.cloud.stats().get("sts:GetFederationToken", 0)


@contextlib.contextmanager
def stack(
    work: Path, users: int, buckets: Sequence[str] = (BUCKET,), seed: Callable[[Path], None] | None = None
) -> Iterator[Stack]:
    """localcloud + a migrated database with the benchmark's users (the portal itself is started per measurement).

    `seed(data_dir)` fills localcloud's storage before it starts."""
    if seed is not None:
        seed(work / "localcloud")
    with harness.localcloud(work / "localcloud") as cloud:
        database = harness.fresh_postgres_db(POSTGRES_DB) or f"sqlite:///{work / 'portal.sqlite3'}"
        redis_url = REDIS_URL if harness.redis_available(REDIS_URL) else ""
        env = harness.portal_env(
            var_dir=work / "var", localcloud_url=cloud.url, database_url=database, redis_url=redis_url
        )
        harness.manage(env, "migrate", "--noinput")
        password = secrets.token_urlsafe(16)
        bucket_args = [arg for bucket in buckets for arg in ("--bucket", bucket)]
        made = harness.bench_tool(
            env, "setup", "--users", str(users), *bucket_args, "--region", REGION, f"--password={password}"
        )
        tokens_file = work / "tokens.txt"
        tokens_file.write_text("".join(f"{u['name']} {u['token']}\n" for u in made["users"]))
        yield Stack(
            work,
            cloud,
            env,
            made["users"],
            tokens_file,
            password,
            "PostgreSQL" if database.startswith("postgres") else "SQLite",
            "Redis" if redis_url else "local memory (per worker)",
        )


# ------------------------------------------------------------------------------------------------- Python client


def fixed_load(port: int, path: str, users: Sequence[dict[str, str]], total: int, concurrency: int) -> Counter[int]:
    """Exactly `total` GETs from `concurrency` keep-alive connections, users round robin; statuses counted."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    per_worker = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: Counter[int] = Counter()
        for n in range(per_worker[index]):
            user = users[(index * 7 + n) % len(users)]
            conn.request("GET", path, headers={"Authorization": f"Token {user['token']}"})
            response = conn.getresponse()
            response.read()
            mine[response.status] += 1
        conn.close()
        with lock:
            statuses.update(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def warm(port: int, users: Sequence[dict[str, str]]) -> None:
    """One /sign per user (fills the credential cache) and a few bare requests (imports, connections)."""
    statuses = fixed_load(port, "/sign", users, len(users), 1)
    statuses.update(fixed_load(port, "/bench/bare", users, 50, 5))
    if set(statuses) != {200}:
        raise RuntimeError(f"warm-up answers: {dict(statuses)}")


# ------------------------------------------------------------------------------------------------- measurements


@dataclass
class Measured:
    result: WrkResult
    sts_calls: int
    audit_rows: int


def measure(s: Stack, portal: harness.Portal, label: str, path: str, duration: float, **wrk_env: str) -> Measured:
    env = {"BENCH_TOKENS": str(s.tokens_file), "BENCH_BUCKET": BUCKET, "BENCH_REGION": REGION, **wrk_env}
    if wrk_env.get("BENCH_TOKENS") == "":
        env.pop("BENCH_TOKENS")
    sts_before, audit_before = s.sts_calls(), s.audit()["issued"]
    result = harness.wrk(label, portal.url + path, connections=CONNECTIONS, duration=duration, env=env)
    time.sleep(1)  # let answers still in flight when wrk stopped finish (their audit rows are real)
    measured = Measured(result, s.sts_calls() - sts_before, s.audit()["issued"] - audit_before)
    print(
        f"{label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"non-2xx {result.non_2xx}, STS {measured.sts_calls}, audit rows {measured.audit_rows}",
        flush=True,
    )
    return measured


def combine(label: str, runs: Sequence[Measured]) -> Measured:
    """Several alternating runs of one variant: total requests over total time; the worst percentiles."""
    results = [m.result for m in runs]
    merged = WrkResult(
        label=label,
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p90_ms=max(r.p90_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
    )
    return Measured(merged, sum(m.sts_calls for m in runs), sum(m.audit_rows for m in runs))


def throughput(s: Stack, *, duration: float, workers: int, threads: int, rounds: int) -> tuple[Table, Table]:
    variants = {"bare": "/bench/bare", "cached": "/sign", "whatif": "/bench/sign-whatif"}
    runs: dict[str, list[Measured]] = {name: [] for name in variants}
    with harness.portal(s.env, workers=workers, threads=threads, log_dir=s.work) as portal:
        warm(portal.port, s.users)
        fixed_load(portal.port, "/bench/sign-whatif", s.users, len(s.users), 1)
        for _ in range(rounds):  # alternate, so drift on a shared machine hits every variant alike
            for name, path in variants.items():
                runs[name].append(measure(s, portal, name, path, duration))
        uncached = measure(s, portal, "uncached", "/sign", duration, BENCH_MODE="scoped")
        seed = measure(s, portal, "seed", "/bench/seed", duration, BENCH_TOKENS="")
        audit_before = s.audit()["issued"]
        total = 2000
        statuses = fixed_load(portal.port, "/sign", s.users, total, CONNECTIONS)
        audit_exact = s.audit()["issued"] - audit_before
    combined = {name: combine(name, values) for name, values in runs.items()}

    def round_ratio(name: str) -> float:
        ratios = [m.result.rps / b.result.rps for m, b in zip(runs[name], runs["bare"], strict=True)]
        return statistics.median(ratios)

    table = Table(
        f"/sign at {CONNECTIONS} connections, gunicorn {workers} workers x {threads} threads "
        f"({s.database}, cache {s.cache})",
        [
            "endpoint",
            "req/s",
            "vs bare",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "non-2xx",
            "STS calls",
            "audit rows / 2xx",
            "target",
            "result",
        ],
    )
    rows: list[tuple[str, Measured, str, str]] = [
        ("bare authenticated DRF view (constant JSON)", combined["bare"], "ceiling", "bare"),
        ("/sign from the cache (GET, 100 users)", combined["cached"], ">= 70 % of bare", "cached"),
        ("what-if: /sign with audit rows buffered in the worker (not durable)", combined["whatif"], "report", "whatif"),
        ("/sign uncached (POST, new scope each time: 1 STS call each)", uncached, "report", ""),
        ("seed-style handler (no auth, 1 STS call each, like cossign)", seed, "report", ""),
    ]
    ceiling = combined["bare"].result.rps
    for name, m, target, kind in rows:
        r = m.result
        ratio = round_ratio(kind) if kind in runs else r.rps / ceiling
        audit = f"{m.audit_rows:,} / {r.ok:,}" if "/sign" in name else "-"
        ok = ""
        if kind == "cached":
            ok = verdict(ratio >= 0.7 and r.non_2xx == 0 and r.socket_errors == 0)
        table.add(name, r.rps, f"{ratio:.0%}", r.p50_ms, r.p90_ms, r.p99_ms, r.non_2xx, m.sts_calls, audit, target, ok)
    table.notes.append(
        f"{duration:.0f} s per wrk run; bare, cached and what-if alternate {rounds} times: req/s over all rounds, "
        "'vs bare' the median of the per-round ratios, the worst round's percentiles; wrk (2 threads) shares the "
        "server's 2 CPUs"
    )
    table.notes.append(
        "audit rows / 2xx: rows added to IssuedCredential during the run vs 2xx answers wrk counted; wrk drops "
        f"answers still in flight when it stops (at most {CONNECTIONS}), whose rows are written all the same"
    )
    audit_table = Table(
        "Audit: one IssuedCredential row per delivery (exact count)",
        ["requests", "200 answers", "other answers", "rows added", "result"],
    )
    others = sum(v for k, v in statuses.items() if k != 200)
    audit_table.add(total, statuses[200], others, audit_exact, verdict(audit_exact == statuses[200] and others == 0))
    audit_table.notes.append(
        f"GET /sign from Python, {CONNECTIONS} keep-alive connections, users round robin, on the same server right "
        "after the runs above; rows counted in the database before and after"
    )
    return table, audit_table


def paced_load(
    port: int, users: Sequence[dict[str, str]], per_user: int, seconds: float
) -> tuple[Counter[int], list[float]]:
    """One thread and keep-alive connection per user, each sending `per_user` GET /sign on a fixed schedule spread
    over `seconds` (a late answer delays only that user's next request); statuses and latencies (s)."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    interval = seconds / per_user
    start = time.monotonic() + 0.5

    def worker(index: int, user: dict[str, str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: Counter[int] = Counter()
        times: list[float] = []
        offset = interval * index / len(users)  # users spread evenly inside each interval
        for n in range(per_user):
            pause = start + offset + n * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            began = time.perf_counter()
            conn.request("GET", "/sign", headers={"Authorization": f"Token {user['token']}"})
            response = conn.getresponse()
            response.read()
            times.append(time.perf_counter() - began)
            mine[response.status] += 1
        conn.close()
        with lock:
            statuses.update(mine)
            latencies.extend(times)

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies


def paced(s: Stack, *, seconds: float, total: int, workers: int, threads: int) -> Table:
    """Target 2: a cold cache, `total` GET /sign from all users over `seconds`; STS calls counted at localcloud."""
    per_user = total // len(s.users)
    with harness.portal(s.fresh_env(), workers=workers, threads=threads, log_dir=s.work) as portal:
        before = s.sts_calls()
        began = time.monotonic()
        statuses, latencies = paced_load(portal.port, s.users, per_user, seconds)
        elapsed = time.monotonic() - began
        calls = s.sts_calls() - before
    ok = statuses[200]
    others = sum(statuses.values()) - ok
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    per_10k = calls * 10_000 / ok if ok else float("inf")
    table = Table(
        f"STS calls for {ok:,} GET /sign from {len(s.users)} users over {elapsed:.0f} s (cache cold at the start)",
        ["200 answers", "other", "req/s", "p50 ms", "p99 ms", "STS calls", "per 10,000 requests", "target", "result"],
    )
    table.add(ok, others, ok / elapsed, p50, p99, calls, per_10k, "<= 100", verdict(per_10k <= 100 and others == 0))
    table.notes.append(
        f"Python load generator: one thread and keep-alive connection per user, {per_user} requests each on a fixed "
        f"schedule; a fresh cache prefix, so every user starts cold. Every user's policy renders differently "
        "(${username}): one STS GetFederationToken per user per credential lifetime (1800 s) is the ideal; counted by "
        "localcloud (GET /_localcloud/stats)"
    )
    return table


def sweep(s: Stack, *, duration: float, workers: int, options: Sequence[int], rounds: int = 2) -> Table:
    """Threads per gthread worker: bare and cached /sign alternating on the same server, for each choice."""
    table = Table(
        f"gunicorn threads per worker ({workers} workers, {CONNECTIONS} connections, {rounds} x {duration:.0f} s "
        "per endpoint)",
        ["threads", "bare req/s", "/sign cached req/s", "ratio (median of rounds)", "/sign p99 ms (worst)"],
    )
    for threads in options:
        with harness.portal(s.env, workers=workers, threads=threads, log_dir=s.work) as portal:
            warm(portal.port, s.users)
            bare, cached = [], []
            for _ in range(rounds):
                bare.append(measure(s, portal, f"bare t{threads}", "/bench/bare", duration))
                cached.append(measure(s, portal, f"cached t{threads}", "/sign", duration))
        ratio = statistics.median(c.result.rps / b.result.rps for b, c in zip(bare, cached, strict=True))
        b_all, c_all = combine("bare", bare).result, combine("cached", cached).result
        table.add(threads, b_all.rps, c_all.rps, f"{ratio:.0%}", c_all.p99_ms)
    return table


def run(
    *,
    duration: float,
    workers: int,
    threads: int,
    users: int,
    paced_seconds: float,
    do_sweep: bool,
    rounds: int = 3,
) -> Path:
    if not harness.have_wrk():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    tables: list[Table] = []
    extra: dict[str, Any] = {}
    with harness.scratch_dir("sign-") as work, stack(work, users) as s:
        if do_sweep:
            tables.append(sweep(s, duration=duration, workers=workers, options=(1, 2, 4, 8, 16), rounds=rounds))
        main, audit = throughput(s, duration=duration, workers=workers, threads=threads, rounds=rounds)
        tables += [main, audit]
        if paced_seconds > 0:
            tables.append(paced(s, seconds=paced_seconds, total=10_000, workers=workers, threads=threads))
        extra["database"], extra["cache"] = s.database, s.cache
    command = (
        f"python -m bench.sign --duration {duration:.0f} --rounds {rounds} --workers {workers} --threads {threads} "
        f"--users {users} "
        f"--paced-seconds {paced_seconds:.0f}" + (" --sweep" if do_sweep else "")
    )
    return harness.report("sign", command, tables, extra)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.sign", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of bare / cached / what-if")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--paced-seconds", type=float, default=60, help="0 skips the STS-count run")
    parser.add_argument("--sweep", action="store_true", help="also compare thread counts per worker")
    options = parser.parse_args(argv)
    return run(
        duration=options.duration,
        workers=options.workers,
        threads=options.threads,
        users=options.users,
        paced_seconds=options.paced_seconds,
        do_sweep=options.sweep,
        rounds=options.rounds,
    )


if __name__ == "__main__":
    main()
