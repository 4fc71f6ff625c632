"""What the objects page tells its upload script about the policy: whether it may upload in parts (not under a size or
type limit, nor under "forbid overwriting") and whether every upload must say x-cos-forbid-overwrite."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from signer.models import CloudAccount
from tests.factories import REGION, make_policy, make_user


def upload_config(account: CloudAccount, bucket: str, **limits: Any) -> dict[str, Any]:
    policy = make_policy(account, name="uploads", bucket=bucket, **limits)
    client = Client()
    client.force_login(make_user("grace", policy=policy))
    response = client.get(f"/buckets/{REGION}/{bucket}/")
    assert response.status_code == 200
    found = re.search(r'<script id="upload-config" type="application/json">(.*?)</script>', response.content.decode())
    assert found
    config: dict[str, Any] = json.loads(found.group(1))
    return config


@pytest.mark.parametrize(
    ("limits", "multipart", "forbid_overwrite"),
    [
        ({}, True, False),
        ({"max_object_size": 5 * 1024 * 1024}, False, False),
        ({"allowed_content_types": "image/*"}, False, False),
        ({"allowed_networks": "127.0.0.0/8"}, True, False),
        ({"forbid_overwrite": True}, False, True),  # cos-js-sdk-v5 cannot say it at completion
        ({"max_object_size": 1024, "forbid_overwrite": True}, False, True),
    ],
)
def test_it_tells_the_page_about_multipart_and_overwrites(
    account: CloudAccount, bucket: str, limits: dict[str, Any], multipart: bool, forbid_overwrite: bool
) -> None:
    config = upload_config(account, bucket, **limits)
    assert config["multipart"] is multipart
    assert config["forbidOverwrite"] is forbid_overwrite
