"""`make bench` (`python -m bench`): every benchmark in turn, by hand, never from pytest (about 12 minutes).

Each prints its table and writes bench/results/<name>.md and .json (git-ignored). `--publish` then copies the latest
results into bench/RESULTS.md, which the README links to.

    python -m bench                       all of them
    python -m bench sign listing          only those
    python -m bench --quick               small and short: a smoke test (~3 minutes; results in bench/results/quick/)
    python -m bench --publish             all of them, then bench/RESULTS.md's latest results from bench/results/
    python -m bench --publish-only        only rewrite bench/RESULTS.md's latest results from bench/results/
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench import cos_throughput, demo_page, harness, listing, profile_sign, publish, sign

FULL: dict[str, Callable[[], object]] = {
    "cos_throughput": lambda: cos_throughput.main([]),
    "listing": lambda: listing.main([]),
    "demo_page": lambda: demo_page.main([]),
    "sign": lambda: sign.main([]),
    "profile_sign": lambda: profile_sign.main([]),
}
QUICK: dict[str, Callable[[], object]] = {
    "cos_throughput": lambda: cos_throughput.main(["--size-mib", "128", "--part-mib", "16", "--rounds", "1"]),
    "listing": lambda: listing.main(["--objects", "10000", "--folders", "1000", "--repeat", "3"]),
    "demo_page": lambda: demo_page.main(["--objects", "10000", "--folders", "100", "--repeat", "5"]),
    "sign": lambda: sign.main(["--duration", "5", "--users", "20", "--paced-seconds", "10"]),
    "profile_sign": lambda: profile_sign.main(["--duration", "5", "--users", "20"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(FULL)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--publish", action="store_true", help="update bench/RESULTS.md from bench/results/ afterwards")
    parser.add_argument("--publish-only", action="store_true", help="only update bench/RESULTS.md from bench/results/")
    options = parser.parse_args(argv)
    table = QUICK if options.quick else FULL
    if options.quick:  # smoke-run numbers never replace real ones (nor reach bench/RESULTS.md)
        harness.RESULTS_DIR = harness.RESULTS_DIR / "quick"
    unknown = [name for name in options.names if name not in table]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if options.publish_only:
        publish.update()
        return 0
    names = options.names or list(table)
    failed = []
    for name in names:
        started = time.monotonic()
        print(f"=== {name}", flush=True)
        try:
            table[name]()
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' results
            print(f"=== {name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            failed.append(name)
        print(f"=== {name} took {time.monotonic() - started:.0f} s", flush=True)
    if options.publish and not options.quick:
        publish.update()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
