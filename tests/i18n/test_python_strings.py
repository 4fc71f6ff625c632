"""What Python says to people speaks their language too: the policy in words, upload limits, form and signer errors on
pages, the admin's names and the simulator's verdict; the API's JSON `message` stays English whatever the browser
asks (clients switch on codeDesc)."""

# ruff: noqa: RUF001 - the expected Chinese and Japanese use their own full-width punctuation
from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from demo.describe import describe_policy
from demo.forms import CreateBucketForm
from qcloud import policy as cam
from signer.limits import Limits
from signer.models import AccessPolicy
from tests.factories import DEMO_BUCKET, REGION, make_token, make_user
from tests.i18n.test_pages import page_text
from tests.i18n.words import english_words

pytestmark = pytest.mark.usefixtures("compiled_catalogs")

NO_POLICY_EN = "no access policy is assigned to you: ask an administrator for one"
NO_POLICY = {
    "zh-hans": "你还没有分配访问策略：请联系管理员分配",
    "ja": "アクセスポリシーが割り当てられていません：管理者に依頼してください",
}
ACCEPT = {"zh-hans": "zh-CN,zh;q=0.9", "ja": "ja-JP"}


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_it_shows_a_signer_error_in_the_readers_language_on_a_page(db: None, language: str) -> None:
    client = Client()
    client.force_login(make_user("dave"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=ACCEPT[language])
    assert response.status_code == 403
    body = response.content.decode()
    assert NO_POLICY[language] in body
    assert NO_POLICY_EN not in body


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_it_keeps_a_signer_errors_api_message_in_english(db: None, language: str) -> None:
    token = make_token(make_user("dave"))
    response = Client().post(
        "/sts",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_ACCEPT_LANGUAGE=ACCEPT[language],
    )
    assert response.status_code == 403
    assert response.json() == {"code": 403, "message": NO_POLICY_EN, "codeDesc": "NoPolicy"}


def test_it_describes_a_policy_in_the_readers_language() -> None:
    document = {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "action": ["name/cos:PutObject", "name/cos:GetBucket"],
                "resource": [f"qcs::cos:{REGION}:uid/1250000000:{DEMO_BUCKET}/users/alice/*"],
                "condition": {"numeric_less_than_equal": {"cos:content-length": "5242880"}},
            },
            {"effect": "deny", "action": ["*"], "resource": ["*"]},
        ],
    }
    policy = cam.parse_policy(document)
    with translation.override("en"):
        (upload, everything) = describe_policy(policy)
    assert upload["actions"] == "upload files, list files"
    assert upload["resources"] == [f"files under users/alice/ in bucket {DEMO_BUCKET} ({REGION})"]
    assert upload["conditions"] == ["file size at most 5 MiB"]
    assert (everything["actions"], everything["resources"]) == ("do anything in COS", ["everything in the account"])
    with translation.override("zh-hans"):
        (upload, everything) = describe_policy(policy)
    assert upload["actions"] == "上传对象、列出对象"
    assert upload["resources"] == [f"存储桶 {DEMO_BUCKET} 中 users/alice/ 下的对象（{REGION}）"]
    assert upload["conditions"] == ["对象大小不超过 5 MiB"]
    assert (everything["actions"], everything["resources"]) == ("在 COS 中执行任何操作", ["账号下的所有资源"])
    with translation.override("ja"):
        (upload, _everything) = describe_policy(policy)
    assert upload["actions"] == "オブジェクトをアップロードする、オブジェクトを一覧表示する"
    assert upload["conditions"] == ["オブジェクトサイズ 5 MiB 以下"]


def test_it_describes_upload_limits_in_the_readers_language() -> None:
    limits = Limits.from_fields(max_object_size=1, allowed_content_types="image/*", allowed_networks="10.0.0.0/8")
    with translation.override("en"):
        assert limits.describe() == [
            "Uploads of at most 1 byte",
            "Only files of type image/*",
            "Only from the networks 10.0.0.0/8",
            "Each file in a single upload (no multipart uploads)",
        ]
    with translation.override("zh-hans"):
        assert limits.describe() == [
            "每次上传不超过 1 字节",
            "仅限以下类型的对象：image/*",
            "仅限来自以下网络：10.0.0.0/8",
            "每个文件一次请求上传（不使用分块上传）",
        ]
    with translation.override("ja"):
        assert english_words(" ".join(limits.describe())) == []


@pytest.mark.parametrize(
    ("name", "english", "japanese"),
    [
        ("-photos", "A bucket name must not start with '-'.", "バケット名の先頭に「-」は使えません。"),
        ("Photos", "'P' at position 1 is not allowed.", "1 文字目の「P」は使えません。"),
        ("x" * 51, "at most 50 characters; this one has 51.", "バケット名は 50 文字以内です（この名前は 51 文字）。"),
    ],
)
def test_it_says_why_a_bucket_name_is_refused_in_the_readers_language(name: str, english: str, japanese: str) -> None:
    for language, words in (("en", english), ("ja", japanese)):
        with translation.override(language):
            form = CreateBucketForm({"name": name})
            assert not form.is_valid()
            assert words in form.errors["name"][0]


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_it_shows_my_access_with_no_english(alice_client: Client, language: str) -> None:
    AccessPolicy.objects.update(max_object_size=5 * 1024 * 1024, allowed_content_types="image/*")
    body = alice_client.get("/access/", HTTP_ACCEPT_LANGUAGE=ACCEPT[language]).content.decode()
    # Code samples, the policy's name and the signed-in user's name are data, not interface words.
    body = re.sub(r"<(pre|h3)\b.*?</\1>", " ", body, flags=re.S)
    assert english_words(page_text(html.unescape(body)).replace("alice", " ")) == []
    assert {"zh-hans": "上传对象", "ja": "オブジェクトをアップロードする"}[language] in body


def test_it_names_the_admins_apps_and_models_in_the_readers_language(db: None, client: Client) -> None:
    client.force_login(make_user("charlie", is_superuser=True))
    body = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    for words in ("临时密钥签发", "云账号", "访问策略", "已签发的临时密钥", "身份提供商", "API 访问", "API 令牌"):
        assert words in body
    assert english_words(page_text(body)) == []
    english = client.get("/admin/").content.decode()
    for words in ("Signer", "Cloud accounts", "Access policies", "Issued credentials", "API access", "API tokens"):
        assert words in english


def test_it_gives_the_simulators_verdict_in_the_readers_language(db: None, client: Client, account: Any) -> None:
    from tests.factories import make_policy

    policy = make_policy(account, name="everyday", preset="read-write own prefix")
    alice = make_user("alice", policy=policy)
    client.force_login(make_user("charlie", is_superuser=True))
    query = {"user": alice.pk, "action": "name/cos:PutObject", "region": REGION, "bucket": DEMO_BUCKET}
    allowed = client.get(
        "/admin/signer/accesspolicy/simulate/", {**query, "key": "users/alice/a.jpg"}, HTTP_ACCEPT_LANGUAGE="ja-JP"
    )
    assert "name/cos:PutObject はステートメント 4 によって許可されています。" in html.unescape(allowed.content.decode())
    denied = client.get(
        "/admin/signer/accesspolicy/simulate/", {**query, "key": "users/bob/a.jpg"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert "没有语句允许对 " in html.unescape(denied.content.decode())
