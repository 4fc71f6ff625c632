"""A folder of small files dropped on the objects page (Chromium, cos-js-sdk-v5) vs the same files put by
cos-python-sdk-v5 directly with one credential, against the same localcloud: files per second, and STS calls per
1,000 files (target <= 10).

Everything runs in this process, as the browser tests do: localcloud in a thread, the portal on Django's live server
(SQLite in a scratch folder, the portal's own default throttle), Debian's chromium through Playwright. Both sides run
four files at a time (the page's queue).

    python -m bench.bulk_upload [--files 500] [--size 4096]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import Table, verdict

REGION = "ap-guangzhou"
USER = "bench000"
CONCURRENCY = 4


def django_portal(work: Path, localcloud_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "CLOUD_BACKEND": "local",
            "PORTAL_VAR_DIR": str(work / "var"),
            "LOCALCLOUD_URL": localcloud_url,
            "LOCALCLOUD_PUBLIC_URL": localcloud_url,
            "LOG_LEVEL": "WARNING",
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # Playwright's sync API runs a loop in this thread
        }
    )
    for name in ("DATABASE_URL", "REDIS_URL", "SIGNER_RATE"):
        os.environ.pop(name, None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def live_server() -> Any:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("localhost", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread


def sts_calls(cloud: Any) -> int:
    import requests

    counts = requests.get(f"{cloud.url}/_localcloud/stats", timeout=10).json()["counts"]
    return sum(count for name, count in counts.items() if name.startswith("sts:"))


def through_the_page(base: str, bucket: str, paths: list[Path], password: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/buckets/{REGION}/{bucket}/")
        started = time.perf_counter()
        page.set_input_files("#upload-input", [str(p) for p in paths])
        page.wait_for_function(
            f"() => document.querySelectorAll('.upload-item[data-state=done]').length === {len(paths)}",
            timeout=600_000,
            polling=200,
        )
        elapsed = time.perf_counter() - started
        failed = page.locator(".upload-item[data-state=error]").count()
        browser.close()
    if failed:
        raise RuntimeError(f"{failed} uploads failed on the page")
    return elapsed


def one_credential(base: str, password: str) -> dict[str, Any]:
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    session.post(
        f"{base}/accounts/login/",
        data={"username": USER, "password": password, "csrfmiddlewaretoken": token.group(1) if token else ""},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    answer = session.post(
        f"{base}/sts",
        json={},
        headers={"X-CSRFToken": session.cookies.get("csrftoken") or "", "Referer": f"{base}/"},
        timeout=30,
    )
    answer.raise_for_status()
    return dict(answer.json()["credentials"])


def through_the_python_sdk(cloud: Any, bucket: str, paths: list[Path], credentials: dict[str, Any]) -> float:
    from qcloud_cos import CosConfig, CosS3Client

    config = CosConfig(
        Region=REGION,
        SecretId=credentials["tmpSecretId"],
        SecretKey=credentials["tmpSecretKey"],
        Token=credentials["sessionToken"],
        Scheme="http",
        IP=cloud.host,
        Port=cloud.port,
    )
    client = CosS3Client(config, retry=1)

    def put(path: Path) -> None:
        client.put_object(Bucket=bucket, Key=f"users/{USER}/sdk/{path.name}", Body=path.read_bytes())

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(put, paths))
    return time.perf_counter() - started


def run(files: int, size: int) -> Path:
    import secrets

    from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
    from localcloud.server import start_in_thread

    bucket = f"demo-bulk-{DEFAULT_APPID}"
    with harness.scratch_dir("bulk-upload-") as work:
        cloud = start_in_thread(Config(data_dir=work / "localcloud"))
        try:
            django_portal(work, cloud.url)
            from bench import fixtures
            from demo import cos

            password = secrets.token_urlsafe(16)
            fixtures.setup(1, [bucket], REGION, password)
            root = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
            server = live_server()
            base = f"http://localhost:{server.port}"
            cos.create_bucket(root, region=REGION, bucket=bucket, cors_origins=[base])
            folder = work / "photos"
            folder.mkdir()
            paths = []
            for index in range(files):
                path = folder / f"photo-{index:04d}.jpg"
                path.write_bytes(os.urandom(size))
                paths.append(path)

            before = sts_calls(cloud)
            page_seconds = through_the_page(base, bucket, paths, password)
            page_sts = sts_calls(cloud) - before
            sdk_seconds = through_the_python_sdk(cloud, bucket, paths, one_credential(base, password))
            server.terminate()
        finally:
            cloud.stop()

    page_rate, sdk_rate = files / page_seconds, files / sdk_seconds
    per_thousand = page_sts * 1000 / files
    table = Table(
        f"Bulk upload: {files} files of {size / 1024:.0f} KiB, {CONCURRENCY} at a time",
        ["client", "seconds", "files/s", "vs Python SDK", "STS calls", "STS per 1,000 files", "target", "result"],
    )
    table.add(
        "objects page (Chromium, cos-js-sdk-v5)",
        page_seconds,
        page_rate,
        f"{page_rate / sdk_rate:.2f}",
        page_sts,
        per_thousand,
        "<= 10 per 1,000",
        verdict(per_thousand <= 10),
    )
    table.add("cos-python-sdk-v5, one credential", sdk_seconds, sdk_rate, "1.00", 0, 0, "", "")
    table.notes.append(
        "one localcloud (in a thread), the portal on Django's live server with its default throttle; the page's "
        "clock starts at the drop (set_input_files) and stops when every row says Uploaded; the SDK side takes one "
        "credential from POST /sts first (not timed)"
    )
    command = f"python -m bench.bulk_upload --files {files} --size {size}"
    return harness.report("bulk_upload", command, [table])


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_upload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--size", type=int, default=4096)
    options = parser.parse_args(argv)
    return run(options.files, options.size)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
