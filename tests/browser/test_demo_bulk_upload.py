"""A folder of 500 small files dropped on the objects page: every file stored byte-exact, no 429 from /sts, and a
handful of STS calls, because the page asks /sts for one credential for the user's prefix and the SDK reuses it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.cos_sdk import cos_client
from tests.demo.live import Portal, login, md5, objects_url, portal_fixture

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

FILES = 500


def sts_calls(portal: Portal) -> int:
    return sum(count for name, count in portal.counts().items() if name.startswith("sts:"))


def folder(tmp_path: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = tmp_path / f"photo-{index:03d}.jpg"
        path.write_bytes(os.urandom(512 + (index * 37) % 4096))
        paths.append(path)
    return paths


def test_it_stores_a_drop_of_500_files_with_a_handful_of_sts_calls(portal: Portal, page: Any, tmp_path: Path) -> None:
    paths = folder(tmp_path, FILES)
    portal.user("alice")
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status) if "/sts" in response.url else None)
    before = sts_calls(portal)
    login(page, portal, "alice")
    page.goto(objects_url(portal))

    page.set_input_files("#upload-input", [str(p) for p in paths])
    page.wait_for_function(
        f"() => document.querySelectorAll('.upload-item[data-state=done]').length === {FILES}", timeout=240_000
    )

    assert page.locator(".upload-item[data-state=error]").count() == 0
    assert 429 not in statuses
    assert sts_calls(portal) - before <= 5
    # 500 rows scroll inside the panel instead of pushing the page down.
    assert page.evaluate("() => document.getElementById('upload-list').scrollHeight") > page.evaluate(
        "() => document.getElementById('upload-list').clientHeight"
    )
    client = cos_client(portal.localcloud)
    for path in paths:
        body = client.get_object(Bucket=portal.bucket, Key=f"users/alice/{path.name}")["Body"].get_raw_stream().read()
        assert md5(body) == md5(path.read_bytes()), path.name
    # Leave the session's bucket as it was: 500 more keys under users/alice/ would push later tests' files off the
    # objects page's first 50 (test_demo_upload's several-*.bin sorts after photo-*).
    objects = [{"Key": f"users/alice/{path.name}"} for path in paths]
    assert not client.delete_objects(Bucket=portal.bucket, Delete={"Object": objects, "Quiet": "true"}).get("Error")
