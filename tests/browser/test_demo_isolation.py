"""What alice cannot reach in the browser (issue 4, "What it must show" 6; issue 6, item 5): bob's files are not
listed, bob's folder is refused, a download link for bob's key forged with alice's credentials is refused by COS, and
/sts will not hand alice a credential for bob's prefix.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo import cos
from signer import services
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_keeps_bobs_files_from_alice(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    alice = portal.user("alice")
    portal.user("bob")
    # Unique names: the session's localcloud is shared with other tests.
    bobs = f"users/bob/ledger-{secrets.token_hex(3)}.txt"
    alices = f"users/alice/notes-{secrets.token_hex(3)}.txt"
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=bobs, body=b"bob's secret")
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=alices, body=b"alice's notes")
    login(page, portal, "alice")

    page.goto(objects_url(portal))
    listing = page.get_by_test_id("object-list").inner_text()
    assert alices.rsplit("/", 1)[1] in listing
    assert "ledger-" not in listing
    assert "users/bob" not in page.content()

    response = page.goto(objects_url(portal, prefix="users/bob/"))
    assert response.status == 403
    assert "ledger-" not in page.content()
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:GetBucket"

    # A link for bob's key signed with alice's own temporary credentials: COS refuses it.
    alice_keys = cos.keys_from(services.credentials_issue(user=alice))
    forged = cos.presign_get(alice_keys, region=REGION, bucket=portal.bucket, key=bobs)
    refused = page.goto(forged)
    assert refused.status == 403
    assert "AccessDenied" in page.content()
    assert "bob's secret" not in page.content()
    # ...while the same credentials read alice's own file.
    own = cos.presign_get(alice_keys, region=REGION, bucket=portal.bucket, key=alices)
    shown = page.goto(own)  # Chromium resolves the bucket's *.localhost name itself
    assert (shown.status, shown.body()) == (200, b"alice's notes")

    # The page's credential endpoint will not narrow alice's policy to bob's prefix either.
    page.goto(objects_url(portal))
    answer = page.evaluate(
        """async (bucket) => {
             const csrf = document.querySelector('[name=csrfmiddlewaretoken]').value;
             const response = await fetch('/sts', {method: 'POST', credentials: 'same-origin',
               headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
               body: JSON.stringify({scopes: [{action: 'name/cos:PutObject', bucket: bucket,
                                               region: 'ap-guangzhou', prefix: 'users/bob/ledger.txt'}]})});
             return {status: response.status, body: await response.json()};
           }""",
        portal.bucket,
    )
    assert answer["status"] == 403
    assert answer["body"]["codeDesc"] == "ScopeNotAllowed"


def test_it_refuses_bob_deleting_alices_file_through_the_page(portal: Portal, page: Any) -> None:
    portal.user("alice")
    portal.user("bob")
    key = f"users/alice/keep-{secrets.token_hex(3)}.txt"
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=key, body=b"keep")
    login(page, portal, "bob")
    page.goto(f"{portal.url}/buckets/{REGION}/{portal.bucket}/delete/?key={key}")
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:DeleteObject"
    assert portal.stored(key) == b"keep"


def test_it_serves_storage_from_an_origin_other_than_the_portals(portal: Portal, page: Any, tmp_path: Path) -> None:
    """Issue 13 item 7(d): in local mode the page talks to each bucket's own `*.localhost` origin, never to the
    portal's, so the storage origin cannot read or receive the portal's cookies (ports do not isolate cookies)."""
    portal.user("alice")
    login(page, portal, "alice")
    storage: list[Any] = []
    page.on("request", lambda request: storage.append(request) if ".cos." in request.url else None)
    page.goto(objects_url(portal))
    upload = tmp_path / "origin.txt"
    upload.write_bytes(b"which origin?")
    page.set_input_files("#upload-input", str(upload))
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)

    portal_origin = urlsplit(portal.url)
    bucket_origin = f"{portal.bucket}.cos.{REGION}.localhost:{urlsplit(portal.localcloud.url).port}"
    assert storage, "the upload went nowhere"
    for request in storage:
        assert urlsplit(request.url).netloc == bucket_origin, request.url
        assert urlsplit(request.url).netloc != portal_origin.netloc
        assert "cookie" not in request.all_headers(), request.url
    assert "csrftoken=" in page.evaluate("document.cookie")  # the portal's page has cookies of its own...

    key = "users/alice/origin.txt"
    shown = page.goto(cos.presign_get(ROOT, region=REGION, bucket=portal.bucket, key=key))
    assert (shown.status, shown.body()) == (200, b"which origin?")
    assert urlsplit(page.url).netloc == bucket_origin
    assert page.evaluate("document.cookie") == ""  # ...which the storage origin never sees
    cos.delete_object(ROOT, region=REGION, bucket=portal.bucket, key=key)  # the session's bucket, as it was (paging)
