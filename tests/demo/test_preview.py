"""The preview page (/buckets/<region>/<bucket>/preview/?key=...): metadata from HeadObject with the user's own
credentials, a preview chosen from the stored type, and refusals with the action the policy lacks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from demo import cos
from demo.preview import kind_of
from tests.factories import REGION, make_policy, make_user
from tests.net import loopback_get


def preview_url(bucket: str, key: str) -> str:
    return f"/buckets/{REGION}/{bucket}/preview/?key={key}"


@pytest.mark.parametrize(
    ("content_type", "key", "kind"),
    [
        ("image/png", "a.png", "image"),
        ("application/pdf", "a.pdf", "pdf"),
        ("audio/wav", "a.wav", "audio"),
        ("video/webm", "a.webm", "video"),
        ("text/plain; charset=utf-8", "a.txt", "text"),
        ("text/html", "a.html", "text"),  # shown as its source, never rendered
        ("image/svg+xml", "a.svg", "text"),
        ("application/octet-stream", "notes.md", "text"),  # the name says what the stored type does not
        ("application/zip", "a.zip", ""),
    ],
)
def test_it_picks_the_preview_from_the_stored_type(content_type: str, key: str, kind: str) -> None:
    assert kind_of(content_type, key) == kind


def test_it_shows_the_metadata_head_object_answers(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    cos._client(root, REGION).put_object(
        Bucket=bucket,
        Key="users/alice/notes.txt",
        Body=b"<b>bold</b> & more",
        ContentType="text/plain",
        CacheControl="max-age=60",
        Metadata={"x-cos-meta-project": "apollo"},
    )
    response = alice_client.get(preview_url(bucket, "users/alice/notes.txt"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-meta="project">apollo<' in body
    assert 'data-header="Cache-Control"><code>max-age=60<' in body
    assert "18 bytes" in body
    # The text is escaped, never markup.
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in body
    assert "<b>bold</b>" not in body


def test_it_reads_only_the_start_of_a_long_text(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    cos.put_object(
        root, region=REGION, bucket=bucket, key="users/alice/big.log", body=b"x" * 200_000, content_type="text/plain"
    )
    body = alice_client.get(preview_url(bucket, "users/alice/big.log")).content.decode()
    assert 'data-testid="preview-truncated"' in body
    assert "The first 64 KiB of 195 KiB" in body


def test_it_answers_404_for_a_missing_object(alice_client: Client, bucket: str) -> None:
    assert alice_client.get(preview_url(bucket, "users/alice/nothing.txt")).status_code == 404


def test_it_refuses_a_file_outside_the_policy_with_the_action(alice_client: Client, bucket: str) -> None:
    response = alice_client.get(preview_url(bucket, "users/bob/secret.txt"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="denied-action">name/cos:HeadObject<' in body
    assert f"{bucket}/users/bob/secret.txt" in body


def test_it_shows_details_but_no_preview_without_get_object(account: Any, root: cos.Keys, bucket: str) -> None:
    statements = [
        {
            "effect": "allow",
            "action": ["name/cos:HeadBucket"],
            "resource": [f"qcs::cos:{REGION}:uid/${{appid}}:{bucket}/"],
        },
        {
            "effect": "allow",
            "action": ["name/cos:HeadObject"],
            "resource": [f"qcs::cos:{REGION}:uid/${{appid}}:{bucket}/*"],
        },
    ]
    user = make_user("dave", policy=make_policy(account, name="heads only", statements=statements))
    client = Client()
    client.force_login(user)
    cos.put_object(root, region=REGION, bucket=bucket, key="docs/a.txt", body=b"hello", content_type="text/plain")
    response = client.get(preview_url(bucket, "docs/a.txt"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="preview-denied"' in body
    assert "name/cos:GetObject" in body
    assert "hello" not in body
    assert 'data-testid="share-form"' not in body
    # Its redirect for the bytes is refused too, and COS refuses a link signed with the same credentials.
    refused = client.get(f"/buckets/{REGION}/{bucket}/preview/file/?key=docs/a.txt&as=inline")
    assert refused.status_code == 403
    from demo.access import access_for

    request = client.get(preview_url(bucket, "docs/a.txt")).wsgi_request
    keys = access_for(request).keys
    forced = loopback_get(cos.presign_get(keys, region=REGION, bucket=bucket, key="docs/a.txt"))
    assert forced.status_code == 403
    assert "<Code>AccessDenied</Code>" in forced.text


def test_it_redirects_an_image_preview_to_a_thumbnail(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    response = alice_client.get(f"/buckets/{REGION}/{bucket}/preview/file/?key=users/alice/p.png&as=thumbnail")
    assert response.status_code == 302
    assert "imageMogr2%2Fthumbnail%2F960x720%3E=" in response["Location"]
    assert alice_client.get(f"/buckets/{REGION}/{bucket}/preview/file/?key=users/alice/p.png&as=x").status_code == 404
