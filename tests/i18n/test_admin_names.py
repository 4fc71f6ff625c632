"""Every word the admin shows comes in the reader's language: for each model registered in the admin, its names, its
list's columns and filters (with their choices), its change page's fields and sections and its actions differ from
the English in 简体中文 and 日本語. A model, field or column added without gettext fails here, whatever it is named
(the word lists of tests/i18n/words.py only catch the words they list).

The pages themselves: a user's change page (the policies in effect, the credentials still valid) and its "Revoke
access now" message, the refusals and the API tokens, read by a superuser in Chinese and Japanese; and what the
admin says when a policy is saved (the `${username}` warning, an equal priority) or a reserved name is given.
"""

# ruff: noqa: RUF001 - the expected Chinese and Japanese use their own full-width punctuation
from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import Client, RequestFactory
from django.utils import translation

from signer import refusals, services
from signer.models import AccessPolicy, Refusal
from tests.factories import make_policy, make_token, make_user
from tests.i18n.test_pages import page_text
from tests.i18n.words import english_words

pytestmark = pytest.mark.usefixtures("compiled_catalogs")

# Names of the Tencent Cloud API's own fields, written as its documentation writes them in every language, and ID
# (Django's own catalogs keep it so).
PRODUCT_TERMS = {"AppID", "SecretId", "SecretKey", "TmpSecretId", "STS RequestId", "AssumeRole", "ID"}
ACCEPT = {"zh-hans": "zh-CN,zh;q=0.9", "ja": "ja-JP"}


def admin_words(language: str, request: Any) -> dict[str, str]:
    """What the admin shows of each registered model, by where it shows it, in `language`."""
    words: dict[str, str] = {}
    with translation.override(language):
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            words[f"{opts.label}: name"] = str(opts.verbose_name)
            words[f"{opts.label}: plural"] = str(opts.verbose_name_plural)
            words.update({f"{opts.label}: {where}": text for where, text in list_words(model, model_admin, request)})
            words.update({f"{opts.label}: {where}": text for where, text in page_words(model, model_admin, request)})
            for name, (_function, _name, description) in model_admin.get_actions(request).items():
                words[f"{opts.label}: action {name}"] = str(description) % {
                    "verbose_name_plural": opts.verbose_name_plural
                }
    return words


def list_words(model: Any, model_admin: Any, request: Any) -> Iterator[tuple[str, str]]:
    """The change list's column headings, its filters' names and their choices."""
    for name in model_admin.get_list_display(request):
        if isinstance(name, str) and name not in {"__str__", "action_checkbox"}:
            yield f"column {name}", str(label_for_field(name, model, model_admin))
    for name in model_admin.get_list_filter(request):
        if isinstance(name, str):
            field = model._meta.get_field(name)
            yield f"filter {name}", str(getattr(field, "verbose_name", name))
            for value, label in getattr(field, "choices", None) or []:
                yield f"filter {name}={value}", str(label)


def page_words(model: Any, model_admin: Any, request: Any) -> Iterator[tuple[str, str]]:
    """The add page's sections and fields, and a row's change page's when there is a row (a user's has its own)."""
    for obj in (None, model._default_manager.first()):
        form = model_admin.get_form(request, obj)
        page = "add" if obj is None else "change"
        for index, (title, options) in enumerate(model_admin.get_fieldsets(request, obj)):
            if title:
                yield f"{page} page, section {index}", str(title)
            for name in options["fields"]:
                for one in name if isinstance(name, list | tuple) else [name]:
                    yield f"field {one}", field_label(one, model, model_admin, form)


def field_label(name: str, model: Any, model_admin: Any, form: Any) -> str:
    """A change page's label: a form's own field (the add page's password fields) or what the admin finds."""
    if name in form.base_fields and form.base_fields[name].label:
        return str(form.base_fields[name].label)
    return str(label_for_field(name, model, model_admin))


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_every_name_the_admin_shows_is_translated(db: None, language: str) -> None:
    request = RequestFactory().get("/admin/")
    request.user = make_user("charlie", is_superuser=True)  # a row for the user's change page, too
    english, translated = admin_words("en", request), admin_words(language, request)
    assert english.keys() == translated.keys()
    assert len(english) > 150  # every model the admin has, each with its columns, fields and actions
    same = {where: text for where, text in english.items() if translated[where] == text and text not in PRODUCT_TERMS}
    assert same == {}, f"shown in English in {language} (wrap them in gettext and translate them in locale/)"


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_a_users_page_and_its_revocation_speak_the_readers_language(db: None, account: Any, language: str) -> None:
    alice = make_user("alice", policy=make_policy(account, name="everyday", preset="read-write own prefix"))
    make_token(alice)
    client = Client(HTTP_ACCEPT_LANGUAGE=ACCEPT[language])
    client.force_login(make_user("charlie", is_superuser=True))

    page = html.unescape(client.get(f"/admin/auth/user/{alice.pk}/change/").content.decode())
    expected = {
        "zh-hans": (
            "云访问权限",
            "生效的策略",
            "（默认）",
            "优先级 0",
            "直接分配",
            "已向该用户签发的临时密钥均已失效。",
        ),
        "ja": ("クラウドへのアクセス", "有効なポリシー", "（デフォルト）", "優先度 0", "直接割り当て"),
    }[language]
    for words in expected:
        assert words in page
    for english in ("Cloud access", "Effective policies", "priority", "direct", "No credential issued"):
        assert english not in page

    change = client.get(f"/admin/auth/user/{alice.pk}/change/")
    token = change.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    revoked = html.unescape(
        client.post(
            f"/admin/auth/user/{alice.pk}/revoke/", {"csrfmiddlewaretoken": token}, follow=True
        ).content.decode()
    )
    message = {
        "zh-hans": "已撤销 alice 的访问权限：已终止 1 个 API 令牌和 0 个会话，缓存的临时密钥不再发放；",
        "ja": "ユーザー alice のアクセスを取り消しました：1 個の API トークンと 0 個のセッションを終了し、",
    }[language]
    assert message in revoked
    assert "Access of alice revoked" not in revoked


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_the_refusals_and_the_api_tokens_lists_speak_the_readers_language(db: None, language: str) -> None:
    services.token_create(user=make_user("alice"), name="laptop")
    refusals.record(Refusal.Kind.LOGIN_FAILED, None, "wrong username or password", username="mallory")
    client = Client(HTTP_ACCEPT_LANGUAGE=ACCEPT[language])
    client.force_login(make_user("charlie", is_superuser=True))

    listed = page_text(html.unescape(client.get("/admin/signer/refusal/").content.decode()))
    assert {"zh-hans": "登录失败", "ja": "サインイン失敗"}[language] in listed  # the kind, in the row and the filter
    assert {"zh-hans": "拒绝记录", "ja": "拒否記録"}[language] in listed
    tokens = page_text(html.unescape(client.get("/admin/knox/authtoken/").content.decode()))
    assert "laptop" in tokens
    assert {"zh-hans": "上次使用", "ja": "最終使用"}[language] in tokens
    for page in (listed, tokens):
        assert english_words(page) == []
        for english in ("Refusals", "failed sign-in", "Kind", "Digest", "Expiry", "Last used"):
            assert english not in page


def test_the_policy_warnings_and_the_reserved_name_speak_the_readers_language(db: None, account: Any) -> None:
    from django.core.exceptions import ValidationError

    from signer.policy_lint import unseparated_variables
    from signer.usernames import validate_not_reserved
    from tests.identity.test_who_may import form

    loose = [{"effect": "allow", "action": ["name/cos:*"], "resource": ["qcs::cos:*:uid/1:b-1/users/${username}*"]}]
    with translation.override("zh-hans"):
        (warning,) = unseparated_variables(loose)
    assert "${username} 后面是 '*'，而不是 '/'" in warning
    assert "请写成 ${username}/" in warning
    with translation.override("ja"), pytest.raises(ValidationError) as reserved:
        validate_not_reserved("anonymous")
    assert reserved.value.messages == ["anonymous は予約済みの名前です：匿名の呼び出し元がこの名前で呼ばれます。"]

    alice = make_user("alice", policy=make_policy(account, name="everyday", preset="read-write own prefix"))
    client = Client(HTTP_ACCEPT_LANGUAGE=ACCEPT["zh-hans"])
    client.force_login(make_user("charlie", is_superuser=True))
    refused = client.post("/admin/signer/accesspolicy/add/", form(account, name="second", users=[str(alice.pk)]))
    assert refused.status_code == 200  # the form again, with the error
    text = html.unescape(refused.content.decode())
    assert "alice 还有优先级同为 0 的策略 'everyday'：哪一个是其默认策略将由名称决定。" in text
    assert "also has policy" not in text
    assert not AccessPolicy.objects.filter(name="second").exists()
