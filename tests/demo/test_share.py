"""Share links on the preview page: a POST (with CSRF) for one of the presets, capped by what is left of the user's
temporary credentials and by DEMO_SHARE_MAX_SECONDS; the link works without signing in, byte for byte, until it
expires, and then localcloud refuses it."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import time_machine
from django.test import Client

from demo import cos
from tests.factories import REGION
from tests.net import loopback_get

KEY = "users/alice/report.bin"
BODY = bytes(range(256)) * 40


def share(client: Client, bucket: str, seconds: int | str) -> Any:
    return client.post(f"/buckets/{REGION}/{bucket}/preview/", {"key": KEY, "expires": str(seconds)})


def link_in(body: str) -> str:
    field = re.search(r'<input[^>]*data-testid="share-url"[^>]*>', body)
    assert field, "no share link on the page"
    value = re.search(r'value="([^"]+)"', field.group(0))
    assert value
    return html.unescape(value.group(1))


def test_it_makes_a_link_that_works_without_signing_in(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    cos.put_object(root, region=REGION, bucket=bucket, key=KEY, body=BODY)
    response = share(alice_client, bucket, 300)
    assert response.status_code == 200
    body = response.content.decode()
    url = link_in(body)
    assert "x-cos-security-token=" in url
    end = re.search(r"q-sign-time=\d+%3B(\d+)", url)
    assert end
    assert abs(int(end.group(1)) - (time.time() + 300)) < 5
    assert 'data-testid="share-expires"' in body
    fetched = loopback_get(url)  # no cookies, no credentials of its own
    assert fetched.status_code == 200
    assert fetched.content == BODY
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="report.bin"')


def test_it_refuses_a_link_longer_than_the_credentials_live(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    cos.put_object(root, region=REGION, bucket=bucket, key=KEY, body=BODY)
    page = alice_client.get(f"/buckets/{REGION}/{bucket}/preview/?key={KEY}").content.decode()
    # The policy's credentials last 30 minutes: 1 hour and more are offered disabled, with the reason.
    assert re.search(r'value="3600" disabled', page)
    assert 'data-testid="share-why"' in page
    assert "Your temporary credentials expire at" in page
    assert not re.search(r'value="300" disabled', page)
    response = share(alice_client, bucket, 3600)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="share-error"' in body
    assert "A link for 1 hour cannot be made: Your temporary credentials expire at" in body
    assert 'data-testid="share-url"' not in body


def test_it_refuses_what_is_not_a_preset(alice_client: Client, bucket: str, root: cos.Keys) -> None:
    cos.put_object(root, region=REGION, bucket=bucket, key=KEY, body=BODY)
    for value in ("120", "abc", ""):
        response = share(alice_client, bucket, value)
        assert response.status_code == 400
        assert "Pick one of the offered lifetimes." in response.content.decode()


def test_it_caps_links_by_the_setting(alice_client: Client, bucket: str, root: cos.Keys, settings: Any) -> None:
    settings.DEMO_SHARE_MAX_SECONDS = 60
    cos.put_object(root, region=REGION, bucket=bucket, key=KEY, body=BODY)
    response = share(alice_client, bucket, 300)
    assert response.status_code == 400
    assert "Links last at most 1 minute here (DEMO_SHARE_MAX_SECONDS)." in response.content.decode()


def test_it_needs_csrf(alice: Any, bucket: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert share(client, bucket, 300).status_code == 403


def test_localcloud_refuses_the_link_once_it_expires(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    cos.put_object(root, region=REGION, bucket=bucket, key=KEY, body=BODY)
    url = link_in(share(alice_client, bucket, 300).content.decode())
    assert loopback_get(url).status_code == 200
    # localcloud runs in this process: travelling its clock past the link's end is what waiting would do.
    with time_machine.travel(time.time() + 301):
        expired = loopback_get(url)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "expired" in expired.text.lower()
