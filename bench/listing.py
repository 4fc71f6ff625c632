"""GetBucket through HTTP on large buckets, beside the same listing on small ones: a big bucket must not list slower.

Targets: the first 1,000-key page of a 100,000-object bucket within 2x of the same page of a 1,000-object bucket; a
delimiter listing of a bucket with 100,000 keys under 1,000 folders (1,000 CommonPrefixes) within 2x of a plain page.

The buckets are filled through localcloud's storage layer before the server starts (bench.fixtures.seed: real bodies,
one transaction per bucket): only the listing is measured, over HTTP, signed with the root keys, on one keep-alive
connection, the variants interleaved.

    python -m bench.listing [--objects 100000] [--folders 1000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from bench.cosclient import APPID, REGION, CosClient
from bench.fixtures import seed
from bench.harness import Table, localcloud, report, scratch_dir, verdict
from localcloud.cos.storage import Storage

SMALL = f"small-{APPID}"
BIG = f"big-{APPID}"
FOLDERS = f"folders-{APPID}"
PAGE = 1000


def populate(data_dir: Path, objects: int, folders: int) -> None:
    """The three buckets, filled with bench.fixtures.seed (real small bodies, one transaction per bucket)."""
    storage = Storage(data_dir / "cos", time.time)
    width = len(str(objects))
    per_folder = max(1, objects // folders)
    layouts = {
        SMALL: (f"objects/{i:0{width}d}.txt" for i in range(PAGE)),
        BIG: (f"objects/{i:0{width}d}.txt" for i in range(objects)),
        FOLDERS: (f"folder-{f:04d}/object-{i:0{width}d}.txt" for f in range(folders) for i in range(per_folder)),
    }
    for bucket, keys in layouts.items():
        storage.create_bucket(bucket, REGION)
        seed(storage, bucket, ((key, key.encode()) for key in keys))


def _count(body: bytes, tag: str) -> int:
    return len(re.findall(rf"<{tag}>".encode(), body))


def run(objects: int, folders: int, repeat: int) -> Path:
    variants = {
        f"plain page, {PAGE:,}-object bucket": (SMALL, {"max-keys": str(PAGE)}, "Contents"),
        f"plain page, {objects:,}-object bucket": (BIG, {"max-keys": str(PAGE)}, "Contents"),
        f"delimiter page, {objects:,} keys in {folders:,} folders": (
            FOLDERS,
            {"max-keys": str(PAGE), "delimiter": "/"},
            "CommonPrefixes",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    with scratch_dir("listing-") as work:
        data = work / "localcloud"
        started = time.perf_counter()
        populate(data, objects, folders)
        fill_s = time.perf_counter() - started
        with localcloud(data) as cloud:
            client = CosClient(cloud.port)
            for name, (bucket, params, tag) in variants.items():  # warm-up + sanity check
                answer = client.request("GET", bucket, params=params)
                if _count(answer.body, tag) != PAGE:
                    raise RuntimeError(f"{name}: expected {PAGE} <{tag}>, got {_count(answer.body, tag)}")
            for _ in range(repeat):
                for name, (bucket, params, _tag) in variants.items():
                    started = time.perf_counter()
                    client.request("GET", bucket, params=params)
                    times[name].append(time.perf_counter() - started)
            client.close()

    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    small, big, folder = list(medians)
    table = Table(
        f"GetBucket, first page of {PAGE:,} (median of {repeat}, ms)",
        ["listing", "median ms", "p90 ms", "ratio", "target", "result"],
    )

    def p90(name: str) -> float:
        values = sorted(times[name])
        return values[int(len(values) * 0.9) - 1] * 1000

    table.add(small, medians[small], p90(small), "1.00", "", "")
    ratio_big = medians[big] / medians[small]
    table.add(big, medians[big], p90(big), f"{ratio_big:.2f} vs {PAGE:,}-object", "<= 2x", verdict(ratio_big <= 2))
    ratio_folder = medians[folder] / medians[big]
    table.add(
        folder,
        medians[folder],
        p90(folder),
        f"{ratio_folder:.2f} vs plain page",
        "<= 2x",
        verdict(ratio_folder <= 2),
    )
    table.notes.append(
        f"buckets filled through localcloud's storage layer (Storage.seed) in {fill_s:.1f} s; "
        "requests over HTTP with root-key signatures, one keep-alive connection, variants interleaved"
    )
    command = f"python -m bench.listing --objects {objects} --folders {folders} --repeat {repeat}"
    return report("listing", command, [table])


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.listing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args(argv)
    return run(options.objects, options.folders, options.repeat)


if __name__ == "__main__":
    main()
