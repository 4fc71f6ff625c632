"""Pages speak the reader's language (Accept-Language, or the switcher's cookie) and show times in the viewer's zone
(the tz cookie the page script sets); a request that names neither gets English and UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from demo import cos
from demo.regions_i18n import REGION_NAMES, local_region_name
from demo.templatetags.localise import as_datetime, local_time
from qcloud.regions import REGIONS
from tests.factories import REGION, make_user
from tests.i18n.words import english_words

pytestmark = pytest.mark.usefixtures("compiled_catalogs")


def test_it_speaks_english_when_the_browser_names_no_language(client: Client) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body
    assert "Sign in to browse buckets" in body


@pytest.mark.parametrize(
    ("accept", "lang", "words"),
    [("zh-CN,zh;q=0.9,en;q=0.5", "zh-hans", "用户名"), ("ja-JP,ja;q=0.9", "ja", "ユーザー名")],
)
def test_it_speaks_the_browsers_language(client: Client, accept: str, lang: str, words: str) -> None:
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f'<html lang="{lang}">' in body
    assert words in body
    assert "Username" not in body


def test_it_remembers_the_language_picked_in_the_switcher(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["django_language"].value == "ja"
    # The cookie wins over what the browser asks for.
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "ユーザー名" in body


def test_it_offers_the_switcher_on_the_sign_in_page(client: Client) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in body
    for code, name in (("zh-hans", "简体中文"), ("ja", "日本語"), ("en", "English")):
        assert f'value="{code}" lang="{code}"' in body
        assert name in body


def test_it_names_the_region_in_the_readers_language() -> None:
    assert set(REGION_NAMES) == set(REGIONS)
    with translation.override("en"):
        assert {code: local_region_name(code) for code in REGIONS} == REGIONS
    with translation.override("zh-hans"):
        assert local_region_name("ap-guangzhou") == "广州"
        assert local_region_name("ap-tokyo") == "东京"
    with translation.override("ja"):
        assert local_region_name("ap-tokyo") == "東京"
        assert local_region_name("ap-guangzhou") == "広州"
    assert local_region_name("xx-nowhere") == "xx-nowhere"


def test_it_shows_a_time_in_the_active_zone_and_names_the_zone() -> None:
    with timezone.override("Asia/Shanghai"):
        shown = str(local_time("2026-12-01T07:36:00.000Z"))
    assert "2026-12-01 15:36" in shown
    assert "(Asia/Shanghai)" in shown
    assert 'datetime="2026-12-01T07:36:00+00:00"' in shown


def test_it_reads_cos_times_as_iso_strings_or_datetimes() -> None:
    expected = datetime(2026, 12, 1, 7, 36, tzinfo=UTC)
    assert as_datetime("2026-12-01T07:36:00.000Z") == expected
    assert as_datetime("2026-12-01T07:36:00") == expected  # no offset: UTC, as COS keeps time
    assert as_datetime(expected) == expected
    assert as_datetime("yesterday") is None
    assert as_datetime(None) is None
    assert local_time(None) == "—"


@pytest.mark.parametrize("cookie", ["Asia/Tokyo", "America/Argentina/Buenos_Aires"])
def test_it_activates_the_zone_of_the_tz_cookie(client: Client, cookie: str) -> None:
    client.cookies["tz"] = cookie
    body = client.get("/accounts/login/").content.decode()
    assert f"Times are shown in {cookie}." in body


@pytest.mark.parametrize("cookie", ["../../../etc/passwd", "/etc/localtime", "Mars/Olympus_Mons", "", "x" * 500])
def test_it_ignores_a_tz_cookie_that_is_no_zone(client: Client, cookie: str) -> None:
    client.cookies["tz"] = cookie
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "Times are shown in UTC." in response.content.decode()


def test_it_shows_an_objects_time_in_the_viewers_zone(alice_client: Client, root: cos.Keys, bucket: str) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 7, 36, tzinfo=UTC), tick=False):
        cos.put_object(root, region=REGION, bucket=bucket, key="users/alice/zone.txt", body=b"hello")
    alice_client.cookies["tz"] = "Asia/Shanghai"
    body = alice_client.get(f"/buckets/{REGION}/{bucket}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "2026-12-01 15:36" in body
    assert "(Asia/Shanghai)" in body
    assert "广州" in body


def test_it_shows_the_admin_in_the_readers_language_and_states_its_zone(db: None, client: Client) -> None:
    client.force_login(make_user("charlie", is_superuser=True))
    client.cookies["tz"] = "Asia/Tokyo"
    body = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ja-JP").content.decode()
    assert "サイト管理" in body  # Django's own catalog
    assert "時刻は Asia/Tokyo で表示しています。" in body
    assert 'action="/i18n/setlang/"' in body


@pytest.mark.parametrize("accept", ["zh-CN,zh;q=0.9", "ja-JP"])
def test_it_keeps_the_apis_messages_in_english(db: None, client: Client, accept: str) -> None:
    response = client.post("/sts", data="{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "message": "Authentication credentials were not provided.",
        "codeDesc": "NotAuthenticated",
    }
    assert response["Content-Language"] == "en"


def page_text(html: str) -> str:
    """What a person reads: the markup without code samples and the switcher's language names."""
    html = re.sub(r"<(code|option|script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("403.html", {}),
        ("404.html", {}),
        ("403_csrf.html", {}),
        ("500.html", {}),
        ("503.html", {}),
        ("demo/delete.html", {"key": "users/alice/a.txt", "bucket": "demo-1250000000", "region": REGION, "back": "/"}),
        ("demo/denied.html", {"denied": {"action": "name/cos:GetObject", "resource": "qcs::cos:..."}}),
        ("demo/unavailable.html", {"code": "StsUnavailable", "error": {}}),
        ("demo/unavailable.html", {"code": "NoPolicy", "error": {}}),
    ],
)
def test_it_translates_the_problem_pages(rf: Any, language: str, template: str, context: dict[str, object]) -> None:
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    with translation.override(language):
        html = render_to_string(template, context, request=request)
    assert f'lang="{language}"' in html
    assert english_words(page_text(html)) == []


def test_it_finds_the_english_words_on_a_page_in_english(rf: Any) -> None:
    """The check above is not vacuous: the same page in English is full of the listed words."""
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    with translation.override("en"):
        html = render_to_string("404.html", {}, request=request)
    assert {"Not found", "Back to", "Times are shown", "Language"} <= set(english_words(page_text(html)))
