"""The upload panel tells the truth and keeps each person's uploads their own: the memory of unfinished uploads is
per user and gone at sign-out, the unfinished uploads at COS can be aborted from the page, a name that exists is
replaced only when the user says so, and each failure is named for what it is (storage down, CORS refused, signed
out).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from demo.access import UploadLimits
from qcloud.endpoints import local_origin_source
from tests.cos_sdk import cos_client
from tests.demo.live import (
    MiB,
    Portal,
    login,
    objects_url,
    portal_fixture,
    throttle_uploads,
)
from tests.factories import REGION, make_bucket

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def row(page: Any, name: str) -> Any:
    return page.locator("#upload-list .upload-item", has_text=name).first


def wait_loaded(page: Any, name: str, at_least: int) -> None:
    page.wait_for_function(
        """([name, n]) => [...document.querySelectorAll('#upload-list .upload-item')].some(
             el => el.querySelector('.upload-name').textContent.startsWith(name)
                   && Number(el.dataset.loaded || 0) >= n)""",
        arg=[name, at_least],
        timeout=30_000,
    )


def local_storage(page: Any) -> str:
    return str(page.evaluate("() => JSON.stringify(Object.entries(localStorage))"))


def drop(page: Any, files: dict[str, str]) -> None:
    transfer = page.evaluate_handle(
        """(files) => {
             const transfer = new DataTransfer();
             for (const [name, text] of Object.entries(files)) {
               transfer.items.add(new File([text], name, {type: 'text/plain'}));
             }
             return transfer;
           }""",
        files,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def put(portal: Portal, key: str, body: bytes) -> None:
    cos_client(portal.localcloud).put_object(Bucket=portal.bucket, Key=key, Body=body)


def test_it_forgets_alices_unfinished_uploads_when_she_signs_out(portal: Portal, page: Any, tmp_path: Path) -> None:
    path = tmp_path / "alice-secret-plan.bin"
    path.write_bytes(os.urandom(6 * MiB))
    portal.user("alice")
    portal.user("bob")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    throttle_uploads(page, 2 * MiB)
    page.set_input_files("#upload-input", str(path))
    wait_loaded(page, path.name, 2 * MiB)
    row(page, path.name).get_by_role("button", name="Pause").click()
    assert "alice-secret-plan" in local_storage(page)
    page.reload()
    assert page.locator(".upload-item.pending", has_text=path.name).count() == 1  # alice still sees hers

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")
    login(page, portal, "bob")
    page.goto(objects_url(portal))

    assert "alice" not in local_storage(page)
    assert "alice-secret-plan" not in page.locator("#upload-list").inner_text()
    assert page.locator(".upload-item.pending").count() == 0


def test_it_lists_the_users_unfinished_uploads_at_cos_and_aborts_them(portal: Portal, page: Any) -> None:
    portal.user("alice")
    client = cos_client(portal.localcloud)
    mine = client.create_multipart_upload(Bucket=portal.bucket, Key="users/alice/left-behind.bin")["UploadId"]
    client.create_multipart_upload(Bucket=portal.bucket, Key="users/bob/not-yours.bin")
    login(page, portal, "alice")
    page.goto(objects_url(portal))

    unfinished = page.get_by_test_id("unfinished")
    entry = unfinished.locator(".unfinished-item", has_text="left-behind.bin")
    entry.wait_for()
    assert entry.get_attribute("data-upload-id") == mine
    assert "not-yours" not in unfinished.inner_text()
    entry.get_by_role("button", name="Abort").click()
    entry.wait_for(state="detached")

    assert portal.uploads_in_progress("users/alice/left-behind.bin") == []
    assert [u.key for u in portal.uploads_in_progress("users/bob/")] == ["users/bob/not-yours.bin"]
    page.reload()
    expect(unfinished).to_be_visible()
    expect(unfinished.locator(".unfinished-item", has_text="left-behind.bin")).to_have_count(0)


def test_it_asks_before_replacing_a_file_that_exists(portal: Portal, page: Any) -> None:
    portal.user("alice")
    put(portal, "users/alice/report.txt", b"old report")
    put(portal, "users/alice/notes.txt", b"old notes")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    dialog = page.locator("#overwrite-dialog")

    drop(page, {"report.txt": "new report"})
    dialog.get_by_role("button", name="Skip").click()
    page.wait_for_selector("#upload-list .upload-item[data-state=exists]")
    assert "not replaced" in row(page, "report.txt").inner_text()
    assert portal.stored("users/alice/report.txt") == b"old report"

    drop(page, {"report.txt": "new report"})
    dialog.get_by_role("button", name="Replace").click()
    page.wait_for_selector("#upload-list .upload-item[data-state=done]")
    assert portal.stored("users/alice/report.txt") == b"new report"

    # A folder: one question for all the names that exist; the new file goes up either way.
    drop(page, {"report.txt": "third report", "notes.txt": "new notes", "fresh.txt": "fresh"})
    expect(dialog).to_contain_text("2 files already exist")
    dialog.get_by_role("button", name="Skip all").click()
    page.wait_for_function("() => document.querySelectorAll('#upload-list .upload-item[data-state=done]').length === 2")
    assert portal.stored("users/alice/fresh.txt") == b"fresh"
    assert portal.stored("users/alice/report.txt") == b"new report"
    assert portal.stored("users/alice/notes.txt") == b"old notes"


def with_limits(monkeypatch: Any, **changes: Any) -> None:
    """The objects page renders these upload limits, as a policy that implies them would."""
    original = UploadLimits.to_dict
    monkeypatch.setattr(UploadLimits, "to_dict", lambda self: {**original(self), **changes})


def test_it_does_not_offer_to_replace_when_the_policy_forbids_overwrites(
    portal: Portal, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal.user("alice")
    put(portal, "users/alice/report.txt", b"old report")
    login(page, portal, "alice")
    with_limits(monkeypatch, forbidOverwrite=True)
    page.goto(objects_url(portal))
    requests: list[dict[str, str]] = []
    page.on("request", lambda r: requests.append(r.headers) if r.method == "PUT" else None)

    drop(page, {"report.txt": "new report", "other.txt": "other"})
    page.wait_for_selector("#upload-list .upload-item[data-state=done]")
    assert not page.locator("#overwrite-dialog").is_visible()
    assert "not replaced" in row(page, "report.txt").inner_text()
    assert portal.stored("users/alice/report.txt") == b"old report"
    assert [h.get("x-cos-forbid-overwrite") for h in requests] == ["true"]


def test_it_uploads_in_one_request_when_the_credentials_allow_no_multipart(
    portal: Portal, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "whole.bin"
    path.write_bytes(os.urandom(3 * MiB))
    portal.user("alice")
    login(page, portal, "alice")
    with_limits(monkeypatch, multipart=False)
    page.goto(objects_url(portal))
    initiated = portal.count("cos:InitiateMultipartUpload")

    page.set_input_files("#upload-input", str(path))
    assert row(page, path.name).get_by_role("button", name="Pause").is_hidden()
    page.wait_for_selector("#upload-list .upload-item[data-state=done]")
    assert portal.count("cos:InitiateMultipartUpload") == initiated
    assert portal.stored("users/alice/whole.bin") == path.read_bytes()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_says_storage_is_unreachable_not_cors_when_nothing_answers(portal: Portal, page: Any, settings: Any) -> None:
    port = closed_port()
    nowhere = f"http://127.0.0.1:{port}"
    settings.LOCALCLOUD_PUBLIC_URL = nowhere
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    directives["connect-src"] = [*directives["connect-src"], local_origin_source(nowhere)]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))

    drop(page, {"note.txt": "hello"})
    page.wait_for_selector("#upload-list .upload-item[data-state=error]", timeout=60_000)
    error = row(page, "note.txt").locator(".upload-error").inner_text()
    assert "could not be reached" in error
    assert f"{portal.bucket}.cos.{REGION}.localhost:{port}" in error  # the bucket's own host, as the page tried it
    assert "CORS" not in error


def test_it_says_cors_when_storage_answers_but_refuses_the_page(portal: Portal, page: Any) -> None:
    bucket = make_bucket(portal.localcloud, "nocors-1250000000")
    cos_client(portal.localcloud).delete_bucket_cors(Bucket=bucket)
    portal.user("alice", bucket=bucket)
    login(page, portal, "alice")
    page.goto(objects_url(portal, bucket=bucket))

    drop(page, {"note.txt": "hello"})
    page.wait_for_selector("#upload-list .upload-item[data-state=error]", timeout=60_000)
    error = row(page, "note.txt").locator(".upload-error").inner_text()
    assert "CORS" in error
    assert portal.url in error
    assert "could not be reached" not in error


def test_it_offers_to_sign_in_again_when_the_session_is_gone(portal: Portal, page: Any) -> None:
    portal.user("alice")
    login(page, portal, "alice")
    # No credential is fetched while the page loads (the SDK would reuse it): the first one is asked for by the
    # upload, after the session is gone.
    page.route("**/sts", lambda route: route.abort())
    page.goto(objects_url(portal))
    page.wait_for_load_state("networkidle")
    page.unroute("**/sts")
    assert page.get_by_test_id("nav-user").inner_text() == "alice"
    page.context.clear_cookies()

    drop(page, {"note.txt": "hello"})
    page.wait_for_selector("#upload-list .upload-item[data-state=error]", timeout=30_000)
    link = row(page, "note.txt").get_by_role("link", name="Sign in again")
    assert link.get_attribute("href") == f"/accounts/login/?next=%2Fbuckets%2F{REGION}%2F{portal.bucket}%2F"
    assert "alice" not in page.get_by_role("banner").inner_text()
    assert row(page, "note.txt").get_by_role("button", name="Resume").is_hidden()
    link.click()
    login_form = page.get_by_label("Username")
    login_form.wait_for()


def test_it_clears_the_error_of_an_upload_that_finishes_after_failing(
    portal: Portal, page: Any, tmp_path: Path
) -> None:
    path = tmp_path / "flaky.bin"
    path.write_bytes(os.urandom(4 * MiB))
    portal.user("alice")
    login(page, portal, "alice")
    page.goto(objects_url(portal))
    cdp = throttle_uploads(page, MiB)

    page.set_input_files("#upload-input", str(path))
    wait_loaded(page, path.name, MiB)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.wait_for_selector("#upload-list .upload-item[data-state=error]", timeout=60_000)
    failed = row(page, path.name)
    assert failed.locator(".upload-error").is_visible()
    assert failed.locator(".upload-speed").inner_text() == ""
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    failed.get_by_role("button", name="Resume").click()
    page.wait_for_selector("#upload-list .upload-item[data-state=done]", timeout=60_000)
    assert failed.locator(".upload-error").is_hidden()
    assert portal.stored("users/alice/flaky.bin") == path.read_bytes()
