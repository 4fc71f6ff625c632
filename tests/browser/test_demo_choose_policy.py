"""A person with two policies picks on My access which one the pages use, in Chromium: under the broader one the
upload panel sends its /sts call under that policy and the file lands; under the narrower one the panel and the Delete
links are gone, and /sts refuses what the broader one allowed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from signer import audit
from signer.models import IssuedCredential
from tests.demo.live import Portal, login, md5, objects_url, portal_fixture, screenshot
from tests.factories import make_policy

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

STS_PUT = """async ([bucket, key]) => {
  const config = JSON.parse(document.getElementById('upload-config').textContent);
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const response = await fetch(config.stsUrl, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
    body: JSON.stringify({policy: config.policy,
                          scopes: [{action: 'name/cos:PutObject', bucket, region: 'ap-guangzhou', prefix: key}]})});
  return {status: response.status, body: await response.json()};
}"""


def choose(page: Any, portal: Portal, name: str) -> None:
    page.goto(f"{portal.url}/access/")
    page.get_by_role("button", name=f"Use the policy {name} on these pages").click()
    page.wait_for_url(f"{portal.url}/access/#policies-title")
    assert page.get_by_test_id("nav-policy").inner_text() == f"Policy: {name}"
    assert page.get_by_test_id("policy-in-use").inner_text().startswith(f"These pages use the policy {name}.")


def test_it_hides_and_refuses_under_the_narrower_policy_what_the_broader_allowed(
    portal: Portal, page: Any, artifacts_dir: Path
) -> None:
    # The narrower policy is alice's default (the higher priority); the broader one she has to choose.
    alice = portal.user("alice", preset="read own prefix", priority=10)
    broad = make_policy(portal.account, name="read-write alice", bucket=portal.bucket, users=[alice])
    login(page, portal, "alice")
    assert page.get_by_test_id("nav-policy").inner_text() == "Policy: read own prefix alice"

    page.goto(objects_url(portal))
    assert page.locator("#upload-form").count() == 0

    choose(page, portal, broad.name)
    screenshot(page, artifacts_dir, "access-policy-chosen")
    page.goto(objects_url(portal))
    assert page.get_by_test_id("nav-policy").inner_text() == f"Policy: {broad.name}"
    assert page.get_by_test_id("upload-prefix").inner_text() == "users/alice/"
    # The upload panel's own /sts call names the chosen policy: under the default, COS would refuse the PUT.
    name = f"chosen-{secrets.token_hex(3)}.bin"
    content = os.urandom(64 * 1024)
    page.set_input_files("#upload-input", {"name": name, "mimeType": "application/octet-stream", "buffer": content})
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    assert md5(portal.stored(f"users/alice/{name}")) == md5(content)
    audit.drain()
    assert IssuedCredential.objects.filter(policy_name=broad.name, username="alice").exists()
    page.goto(objects_url(portal))
    assert page.locator(f"tr[data-key='users/alice/{name}'] a.delete").count() == 1  # in the row's menu
    allowed = page.evaluate(STS_PUT, [portal.bucket, f"users/alice/{name}"])
    assert allowed["status"] == 200

    choose(page, portal, "read own prefix alice")
    page.goto(objects_url(portal))
    assert name in page.get_by_test_id("object-list").inner_text()  # still listed and readable...
    assert page.locator("#upload-form").count() == 0  # ...but no upload panel
    assert page.locator(f"tr[data-key='users/alice/{name}'] a.delete").count() == 0  # and no Delete
    refused = page.evaluate(STS_PUT, [portal.bucket, f"users/alice/{name}"])
    assert refused["status"] == 403
    assert refused["body"]["codeDesc"] == "ScopeNotAllowed"
    assert "read own prefix alice" in refused["body"]["message"]
    response = page.goto(f"{portal.url}/buckets/ap-guangzhou/{portal.bucket}/delete/?key=users/alice/{name}")
    assert response.status == 403
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:DeleteObject"
