"""Delete with confirmation: GET asks, POST (with CSRF) deletes, and only where the policy allows."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from demo import cos
from tests.factories import REGION


@pytest.fixture
def alices_file(root: cos.Keys, bucket: str) -> str:
    key = f"users/alice/delete-{secrets.token_hex(3)}/old.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"old")
    return key


def exists(root: cos.Keys, bucket: str, key: str) -> bool:
    folder = key.rsplit("/", 1)[0] + "/"
    page = cos.list_objects(root, region=REGION, bucket=bucket, prefix=folder)
    return key in [o.key for o in page.objects]


def test_it_asks_for_confirmation_first(alice_client: Client, bucket: str, alices_file: str, root: cos.Keys) -> None:
    response = alice_client.get(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Delete this file?" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert exists(root, bucket, alices_file)


def test_it_deletes_on_post_and_returns_to_the_folder(
    alice_client: Client, bucket: str, alices_file: str, root: cos.Keys
) -> None:
    response = alice_client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file})
    assert response.status_code == 302
    folder = alices_file.rsplit("/", 1)[0] + "/"
    assert response["Location"] == f"/buckets/{REGION}/{bucket}/?prefix={folder.replace('/', '%2F')}"
    assert not exists(root, bucket, alices_file)
    assert "Deleted" in alice_client.get(response["Location"]).content.decode()


def test_it_requires_csrf(alice: Any, bucket: str, alices_file: str, root: cos.Keys) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file}).status_code == 403
    assert exists(root, bucket, alices_file)


def test_it_refuses_bob_deleting_alices_file(bob_client: Client, bucket: str, alices_file: str, root: cos.Keys) -> None:
    response = bob_client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file})
    assert response.status_code == 403
    assert "name/cos:DeleteObject" in response.content.decode()
    assert exists(root, bucket, alices_file)
    assert bob_client.get(f"/buckets/{REGION}/{bucket}/delete/", {"key": alices_file}).status_code == 403


def test_it_answers_404_without_a_key(alice_client: Client, bucket: str) -> None:
    assert alice_client.get(f"/buckets/{REGION}/{bucket}/delete/").status_code == 404
    assert alice_client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": "users/alice/"}).status_code == 404
