"""Where a cached /sign spends its time: py-spy samples both gunicorn workers while wrk drives GET /sign
(credentials from the cache, 100 users, 50 connections), then prints the top frames and a breakdown by step.

    python -m bench.profile_sign [--duration 20] [--threads 4]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import harness, sign, spy
from bench.harness import Table

# Steps of a cached /sign, each recognised by a frame on the stack (first match wins, in this order).
STEPS: list[tuple[str, str]] = [
    ("knox token authentication", "TokenAuthentication.authenticate ("),
    ("throttle (one Lua call, reads the policy version along)", "allow_request ("),
    ("policy lookup (policy_for_user)", "policy_for_user ("),
    ("policy render (substitute, parse, limits)", "AccessPolicy.render ("),
    ("policy render (per-worker memo)", "_render (signer/services.py"),
    ("policy digest", "policy_digest ("),
    ("credential cache read + decrypt", "credentials_cached ("),
    ("audit record (outbox RPUSH or INSERT)", "record (signer/audit.py"),
    ("audit drain (background, batched)", "drain (signer/audit.py"),
    ("what-if: cached policy lookup", "resolved (bench/whatif.py"),
    ("what-if: audit buffer flush (background)", "AuditBuffer.flush ("),
    ("register_secret (log redaction)", "register_secret ("),
    ("response render (JSON)", "JSONRenderer.render ("),
    ("session + other middleware", "SessionMiddleware"),
]
KEEP = ("signer/", "knox/", "rest_framework/", "django/", "qcloud/", "cryptography/", "redis/", "psycopg/", "gunicorn/")


def breakdown(profile: spy.Profile, paths: list[Path]) -> Table:
    """Samples attributed to the first step whose frame is on their stack."""
    counts: dict[str, int] = {name: 0 for name, _ in STEPS}
    counts["other (WSGI, routing, DRF plumbing, socket I/O)"] = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not count_text.isdigit():
                continue
            for name, needle in STEPS:
                if needle in stack:
                    counts[name] += int(count_text)
                    break
            else:
                counts["other (WSGI, routing, DRF plumbing, socket I/O)"] += int(count_text)
    table = Table("Cached /sign: share of worker samples per step", ["step", "share"])
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        if not count:
            continue
        table.add(name, f"{count / profile.samples:.0%}" if profile.samples else "-")
    return table


def run(duration: float, threads: int, users: int, path: str = "/sign") -> Path:
    with harness.scratch_dir("profile-") as work, sign.stack(work, users) as s:
        with harness.portal(s.env, workers=2, threads=threads, log_dir=work) as portal:
            sign.warm(portal.port, s.users)
            sign.fixed_load(portal.port, path, s.users, len(s.users), 1)
            with spy.recording(portal.worker_pids(), work) as outputs:
                result = harness.wrk(
                    "profile",
                    portal.url + path,
                    connections=sign.CONNECTIONS,
                    duration=duration,
                    env={"BENCH_TOKENS": str(s.tokens_file)},
                )
            profile = spy.merged(outputs)
            steps = breakdown(profile, outputs)
        top = profile.table("Cached /sign: top frames (inclusive) in the gunicorn workers", 25, keep=KEEP)
        top.notes.append(f"under load: {result.rps:,.0f} req/s, p99 {result.p99_ms:.0f} ms while sampled")
        self_table = Table("Cached /sign: top frames by own time", ["frame", "self"])
        for name, count in profile.self_counts.most_common(15):
            self_table.add(name, f"{count / profile.samples:.0%}")
    command = f"python -m bench.profile_sign --duration {duration:.0f} --threads {threads}"
    name = "profile_sign"
    if path != "/sign":
        command += f" --path {path}"
        name += "_" + path.strip("/").replace("/", "_").replace("-", "_")
    return harness.report(name, command, [steps, top, self_table])


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_sign", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--path", default="/sign", help="e.g. /bench/sign-whatif or /bench/bare")
    options = parser.parse_args(argv)
    return run(options.duration, options.threads, options.users, options.path)


if __name__ == "__main__":
    main()
