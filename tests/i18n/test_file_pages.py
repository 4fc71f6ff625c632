"""The preview page (with a share link made) and the bucket details and delete pages speak Chinese and Japanese:
none of the English words the other pages are checked for, nor the ones these pages add."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from demo import cos
from tests.factories import REGION, make_policy, make_user
from tests.i18n.test_pages import page_text
from tests.i18n.words import english_words

pytestmark = pytest.mark.usefixtures("compiled_catalogs")

# What these pages add to tests/i18n/words.py's list.
MORE_ENGLISH = [
    "Share a link",
    "Valid for",
    "Stops working",
    "Create link",
    "Back to the folder",
    "Custom metadata",
    "Last modified",
    "Details",
    "Overview",
    "CORS rules",
    "Access control list",
    "Owner",
    "Permission",
    "Grantee",
    "Delete this bucket",
    "temporary credentials",
]


def leftover_english(body: str) -> list[str]:
    # COS's own message is quoted as COS wrote it (in English, as real COS does).
    text = page_text(re.sub(r'<span data-testid="cos-message">.*?</span>', " ", body))
    return english_words(text) + [phrase for phrase in MORE_ENGLISH if re.search(rf"\b{re.escape(phrase)}\b", text)]


@pytest.fixture
def owner(account: Any, bucket: str) -> Client:
    base = f"qcs::cos:{REGION}:uid/${{appid}}:{bucket}/"
    statements = [
        {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
        {
            "effect": "allow",
            "action": ["name/cos:HeadBucket", "name/cos:GetBucketCORS", "name/cos:DeleteBucket"],
            "resource": [base],
        },
        {"effect": "allow", "action": ["name/cos:HeadObject", "name/cos:GetObject"], "resource": [f"{base}*"]},
    ]
    client = Client()
    client.force_login(make_user("olga", policy=make_policy(account, name="owner", statements=statements)))
    return client


@pytest.mark.parametrize("accept", ["zh-CN", "ja-JP"])
def test_the_file_and_bucket_pages_speak_the_readers_language(
    owner: Client, root: cos.Keys, bucket: str, accept: str
) -> None:
    cos._client(root, REGION).put_object(
        Bucket=bucket, Key="docs/说明.txt", Body="你好".encode(), ContentType="text/plain"
    )
    pages = {
        "preview": owner.post(
            f"/buckets/{REGION}/{bucket}/preview/",
            {"key": "docs/说明.txt", "expires": "300"},
            HTTP_ACCEPT_LANGUAGE=accept,
        ),
        "refused share": owner.post(
            f"/buckets/{REGION}/{bucket}/preview/",
            {"key": "docs/说明.txt", "expires": "86400"},
            HTTP_ACCEPT_LANGUAGE=accept,
        ),
        "details": owner.get(f"/buckets/{REGION}/{bucket}/details/", HTTP_ACCEPT_LANGUAGE=accept),
        "delete": owner.get(f"/buckets/{REGION}/{bucket}/delete-bucket/", HTTP_ACCEPT_LANGUAGE=accept),
        "not empty": owner.post(f"/buckets/{REGION}/{bucket}/delete-bucket/", HTTP_ACCEPT_LANGUAGE=accept),
    }
    assert pages["not empty"].status_code == 409
    assert pages["refused share"].status_code == 400
    for name, response in pages.items():
        assert leftover_english(response.content.decode()) == [], name


def test_it_finds_the_english_on_those_pages_in_english(owner: Client, root: cos.Keys, bucket: str) -> None:
    """The check above is not vacuous."""
    cos.put_object(root, region=REGION, bucket=bucket, key="docs/a.txt", body=b"hi", content_type="text/plain")
    body = owner.get(f"/buckets/{REGION}/{bucket}/preview/?key=docs/a.txt").content.decode()
    assert {"Share a link", "Valid for", "Details"} <= set(leftover_english(body))
