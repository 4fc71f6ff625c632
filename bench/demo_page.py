"""The demo's objects page on a 100,000-object bucket beside a 10-object bucket: target < 2x
(a page must cost about the same however large the bucket).

The portal runs under gunicorn with the same production-style settings as bench/sign.py; a user signs in through the
login form (session + CSRF, like a browser) with a "read-write own prefix" policy on `demo-*` buckets, and the page
lists their folder (users/<name>/), where the objects are. Buckets are filled through localcloud's storage layer
before it starts. Beside the target: the same page when the 100,000 objects sit in 1,000 sub-folders (the page then
lists folders, a delimiter listing).

    python -m bench.demo_page [--objects 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench import fixtures, harness, sign
from bench.cosclient import APPID, REGION
from bench.harness import Table, verdict
from localcloud.cos.storage import Storage

SMALL = f"demo-small-{APPID}"
BIG = f"demo-big-{APPID}"
FOLDERS = f"demo-folders-{APPID}"
USER = "bench000"
PREFIX = f"users/{USER}/"


def seeder(objects: int, folders: int) -> Callable[[Path], None]:
    def seed(data_dir: Path) -> None:
        storage = Storage(data_dir / "cos", time.time)
        width = len(str(objects))
        per_folder = max(1, objects // folders)
        layouts = {
            SMALL: (f"{PREFIX}photo-{i:02d}.jpg" for i in range(10)),
            BIG: (f"{PREFIX}photo-{i:0{width}d}.jpg" for i in range(objects)),
            FOLDERS: (
                f"{PREFIX}album-{f:04d}/photo-{i:0{width}d}.jpg" for f in range(folders) for i in range(per_folder)
            ),
        }
        for bucket, keys in layouts.items():
            storage.create_bucket(bucket, REGION)
            fixtures.seed(storage, bucket, ((key, key.encode()) for key in keys), content_type="image/jpeg")

    return seed


def login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    page.raise_for_status()
    token = session.cookies.get("csrftoken") or ""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1) if match else token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login answered {answer.status_code}")
    return session


def run(objects: int, folders: int, repeat: int) -> Path:
    variants = {
        "10-object bucket": (SMALL, "photo-00.jpg"),
        f"{objects:,}-object bucket": (BIG, "photo-"),
        f"{objects:,} objects in {folders:,} folders (folder listing)": (FOLDERS, "album-0000"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    sizes: dict[str, int] = {}
    with (
        harness.scratch_dir("demo-page-") as work,
        sign.stack(work, 1, buckets=(f"demo-*-{APPID}",), seed=seeder(objects, folders)) as s,
        harness.portal(s.env, workers=2, threads=4, log_dir=work) as portal,
    ):
        session = login(portal.url, USER, s.password)
        urls = {name: f"{portal.url}/buckets/{REGION}/{bucket}/" for name, (bucket, _) in variants.items()}
        for name, (_, expected) in variants.items():  # warm-up (credentials cached) and sanity check
            page = session.get(urls[name], timeout=120)
            if page.status_code != 200 or expected not in page.text:
                raise RuntimeError(f"{name}: {page.status_code}, {expected!r} not on the page")
            sizes[name] = len(page.content)
        for _ in range(repeat):
            for name in variants:
                started = time.perf_counter()
                page = session.get(urls[name], timeout=120)
                times[name].append(time.perf_counter() - started)
                if page.status_code != 200:
                    raise RuntimeError(f"{name}: {page.status_code}")
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    small, big, folder = list(variants)
    table = Table(
        f"Demo objects page, first page (median of {repeat}, ms)",
        ["bucket", "median ms", "page KiB", "vs 10-object", "target", "result"],
    )
    table.add(small, medians[small], sizes[small] / 1024, "1.00", "", "")
    ratio = medians[big] / medians[small]
    table.add(big, medians[big], sizes[big] / 1024, f"{ratio:.2f}", "< 2x", verdict(ratio < 2))
    table.add(folder, medians[folder], sizes[folder] / 1024, f"{medians[folder] / medians[small]:.2f}", "report", "")
    table.notes.append(
        "signed in through the login form (session cookie), gunicorn 2 workers x 4 threads, one client, variants "
        "interleaved; each page load issues the user's credentials from the cache (one audit row) and lists one page "
        "through demo/cos.py (cos-python-sdk-v5) from localcloud"
    )
    command = f"python -m bench.demo_page --objects {objects} --folders {folders} --repeat {repeat}"
    return harness.report("demo_page", command, [table], {"database": s.database, "cache": s.cache})


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.demo_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args(argv)
    return run(options.objects, options.folders, options.repeat)


if __name__ == "__main__":
    main()
