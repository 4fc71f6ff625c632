"""A user with several policies picks on My access which one the pages use: a POST with CSRF, kept in the session,
used by the pages' own COS calls and sent by the upload panel to /sts; the header shows it."""

from __future__ import annotations

import html
import json
import re
import secrets
from typing import Any

import pytest
from django.test import Client

from demo import cos
from signer import audit
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from tests.factories import REGION, make_policy, make_user
from tests.net import loopback_get


@pytest.fixture
def reader(account: CloudAccount, alice: Any, bucket: str) -> AccessPolicy:
    """Alice's narrower second policy, below her default "read-write own prefix"."""
    return make_policy(
        account, name="read own prefix", preset="read own prefix", bucket=bucket, priority=-10, users=[alice]
    )


def upload_config(client: Client, bucket: str) -> dict[str, Any]:
    body = client.get(f"/buckets/{REGION}/{bucket}/").content.decode()
    found = re.search(r'<script id="upload-config" type="application/json">(.*?)</script>', body)
    assert found
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def nav_policy(body: str) -> str:
    found = re.search(r'data-testid="nav-policy"[^>]*>(.*?)</a>', body, re.S)
    assert found, "no policy in the header"
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).split("Policy:", 1)[1].strip()


def test_it_uses_the_default_until_another_is_chosen(
    alice_client: Client, policy: AccessPolicy, reader: AccessPolicy, bucket: str
) -> None:
    page = alice_client.get("/access/").content.decode()
    assert nav_policy(page) == policy.name
    assert "These pages use the policy <strong>read-write own prefix</strong>." in page
    assert page.count('name="policy"') == 1  # a "Use on these pages" button for the other policy only
    assert upload_config(alice_client, bucket)["policy"] == policy.name

    chosen = alice_client.post("/access/policy/", {"policy": reader.name})
    assert chosen.status_code == 302
    page = alice_client.get(chosen["Location"]).content.decode()
    assert "These pages now use the policy read own prefix." in page
    assert nav_policy(page) == reader.name
    assert "These pages use the policy <strong>read own prefix</strong>." in page

    listing = alice_client.get(f"/buckets/{REGION}/{bucket}/").content.decode()
    assert nav_policy(listing) == reader.name
    assert 'id="upload-form"' not in listing  # read only: no upload panel
    assert upload_config(alice_client, bucket)["prefix"] is None
    audit.drain()
    assert IssuedCredential.objects.order_by("-created").first().policy_name == reader.name  # type: ignore[union-attr]

    back = alice_client.post("/access/policy/", {"policy": ""})  # back to the default
    assert back.status_code == 302
    assert upload_config(alice_client, bucket)["policy"] == policy.name


def test_it_refuses_a_policy_that_is_not_the_users_with_403(
    alice_client: Client, account: CloudAccount, reader: AccessPolicy, bucket: str
) -> None:
    make_policy(account, name="bob's", preset="read whole bucket", bucket=bucket, users=[make_user("bob")])
    for name in ("bob's", "no such policy"):
        refused = alice_client.post("/access/policy/", {"policy": name})
        assert refused.status_code == 403
        body = html.unescape(refused.content.decode())
        assert "Not one of your policies" in body
        assert f"no policy named {name!r} is assigned to you" in body
        assert '<code data-testid="error-code">UnknownPolicy</code>' in body
    assert nav_policy(alice_client.get("/access/").content.decode()) == "read-write own prefix"


def test_it_needs_a_post_with_the_csrf_token(alice: Any, reader: AccessPolicy) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/access/policy/", {"policy": reader.name}).status_code == 405
    forged = client.post("/access/policy/", {"policy": reader.name})
    assert forged.status_code == 403
    assert "CSRF" in forged.content.decode()
    assert nav_policy(client.get("/access/").content.decode()) == "read-write own prefix"
    page = client.get("/access/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    sent = client.post("/access/policy/", {"policy": reader.name, "csrfmiddlewaretoken": token.group(1)})
    assert sent.status_code == 302
    assert nav_policy(client.get("/access/").content.decode()) == reader.name


def test_it_falls_back_to_the_default_when_the_choice_is_taken_away(
    alice_client: Client, alice: Any, policy: AccessPolicy, reader: AccessPolicy, bucket: str
) -> None:
    alice_client.post("/access/policy/", {"policy": reader.name})
    reader.users.remove(alice)
    listing = alice_client.get(f"/buckets/{REGION}/{bucket}/")
    assert listing.status_code == 200
    assert nav_policy(listing.content.decode()) == policy.name
    assert upload_config(alice_client, bucket)["policy"] == policy.name


def test_it_uses_the_chosen_policy_for_the_pages_own_cos_calls(
    alice_client: Client, reader: AccessPolicy, root: cos.Keys, bucket: str
) -> None:
    key = f"users/alice/keep-{secrets.token_hex(3)}.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"keep")
    delete = f"/buckets/{REGION}/{bucket}/delete/"
    assert alice_client.get(delete, {"key": key}).status_code == 200  # the default may delete: it asks to confirm
    alice_client.post("/access/policy/", {"policy": reader.name})
    refused = alice_client.post(delete, {"key": key})
    assert refused.status_code == 403
    assert "name/cos:DeleteObject" in refused.content.decode()
    stored = loopback_get(cos.presign_get(root, region=REGION, bucket=bucket, key=key))
    assert stored.content == b"keep"
