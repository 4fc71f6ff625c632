"""localcloud as a service of its own, in compose.yaml's order: localcloud starts first (its own process and data
folder), `bootstrap_demo` provisions it through CAM while it runs, then the portal (deploy/entrypoint.sh, gunicorn,
DEBUG off) serves alice the demo's regions, buckets and files from that same localcloud process, never restarted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from demo import cos
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from tests.deploy.conftest import deploy_env, entrypoint, manage
from tests.hardening.conftest import PYTHON, Process, free_port

PASSWORD = "service-" + secrets.token_urlsafe(12)
APPID = "1250000000"
BUCKET = f"demo-{APPID}"
REGION = "ap-guangzhou"


@dataclass
class Running:
    url: str
    localcloud: Process
    localcloud_pid: int
    data: Path
    bootstrap_output: str


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, shared_services: dict[str, str]) -> Iterator[Running]:
    var = tmp_path_factory.mktemp("service")
    localcloud_port, port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    # Not the portal's LOCALCLOUD_DATA: only what travels over CAM's API can reach this localcloud.
    data = var / "localcloud-service"
    localcloud = Process(
        "localcloud",
        [PYTHON, "-m", "localcloud", "--port", str(localcloud_port), "--data", str(data)],
        localcloud_port,
        var / "localcloud.log",
        env=deploy_env(var),
    )
    localcloud.start()
    assert localcloud.process is not None
    pid = localcloud.process.pid
    env = deploy_env(
        var,
        CLOUD_BACKEND="local",
        LOCALCLOUD_URL=f"http://127.0.0.1:{localcloud_port}",
        LOCALCLOUD_DATA=str(var / "portal-localcloud"),
        LOCALCLOUD_APPID=APPID,
        **shared_services,
    )
    portal = entrypoint("portal", env, port, var / "entrypoint.log")
    try:
        manage(env, "migrate", "--noinput")
        output = manage(env, "bootstrap_demo", "--password", PASSWORD, "--origin", url)
        portal.start(timeout=180)
        yield Running(url, localcloud, pid, data, output)
    finally:
        portal.stop()
        localcloud.stop()


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    form = session.get(f"{base}/accounts/login/", timeout=30)
    assert form.status_code == 200
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[-2000:]
    assert answer.url == f"{base}/"
    return session


def test_it_bootstraps_the_running_localcloud_without_starting_one(running: Running) -> None:
    assert "AssumeRole checked: OK" in running.bootstrap_output
    # The one localcloud process did everything: no second one was started on the portal's data folder.
    assert running.localcloud.process is not None
    assert running.localcloud.process.poll() is None
    assert running.localcloud.process.pid == running.localcloud_pid
    assert not (running.localcloud.log.parent / "portal-localcloud").exists()
    counts = requests.get(f"{running.localcloud.url}/_localcloud/stats", timeout=10).json()["counts"]
    assert counts["cam:CreateRole"] == 2


def test_it_shows_alice_the_regions_buckets_and_her_files(running: Running, settings: Any) -> None:
    settings.LOCALCLOUD_URL = running.localcloud.url
    root = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    cos.put_object(root, region=REGION, bucket=BUCKET, key="users/alice/from-the-service.txt", body=b"hello")
    alice = signed_in(running.url, "alice")

    regions = alice.get(f"{running.url}/", timeout=30)
    assert regions.status_code == 200
    card = re.search(rf'data-region="{REGION}">(.*?)</a>', regions.text, re.S)
    assert card, regions.text[-2000:]
    assert "1 bucket" in card.group(1)

    buckets = alice.get(f"{running.url}/regions/{REGION}/", timeout=30)
    assert buckets.status_code == 200
    assert f'data-bucket="{BUCKET}"' in buckets.text

    files = alice.get(f"{running.url}/buckets/{REGION}/{BUCKET}/", timeout=30)
    assert files.status_code == 200
    assert 'data-key="users/alice/from-the-service.txt"' in files.text
    for page in (regions, buckets, files):
        assert "SecretIdNotFound" not in page.text
        assert "not answering" not in page.text
