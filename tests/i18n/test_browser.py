"""The portal in Chromium set to zh-CN / Asia/Shanghai and to ja-JP / Asia/Tokyo: the sign-in page, regions, a bucket,
My access and the admin index carry none of the English words the templates use, an object's time appears in the
browser's zone with the zone named, and the upload panel's script speaks the language too. Screenshots of both
languages go to artifacts/screenshots/i18n-*.png (`make screenshots` copies them to docs/screenshots/).

The words that come from Python (the policy's description, upload limits, the admin's app and model names) count too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from demo import cos
from tests.demo.live import ROOT, Portal, objects_url, portal_fixture, screenshot
from tests.factories import PASSWORD, REGION, make_user
from tests.i18n.words import english_words

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("compiled_catalogs")]


@dataclass(frozen=True)
class Locale:
    code: str  # Django's
    browser: str
    zone: str
    words: dict[str, str]  # what the pages say in it, to be sure the page is really in that language


LOCALES = [
    Locale(
        "zh-hans",
        "zh-CN",
        "Asia/Shanghai",
        {"login": "登录", "regions": "广州", "bucket": "上传", "access": "我的权限", "admin": "站点管理"},
    ),
    Locale(
        "ja",
        "ja-JP",
        "Asia/Tokyo",
        {
            "login": "ログイン",
            "regions": "東京",
            "bucket": "アップロード",
            "access": "マイアクセス",
            "admin": "サイト管理",
        },
    ),
]


def visible_text(page: Any) -> str:
    """The page's text a person reads or hears, without code samples, data cells and the switcher's own names."""
    text: str = page.evaluate(
        """() => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll('pre, code, script, template, option, [data-testid=nav-user], .object-name, '
            + '[data-bucket], [data-folder], .policy h3, #user-tools strong').forEach((node) => node.remove());
          const labels = [...document.querySelectorAll('[aria-label]')].map((node) => node.getAttribute('aria-label'));
          return body.textContent + '\\n' + labels.join('\\n') + '\\n' + document.title;
        }"""
    )
    return text


@pytest.fixture(params=LOCALES, ids=lambda locale: locale.code)
def locale(request: pytest.FixtureRequest) -> Locale:
    return request.param


@pytest.fixture
def context(browser: Any, locale: Locale) -> Iterator[Any]:
    context = browser.new_context(
        locale=locale.browser, timezone_id=locale.zone, viewport={"width": 1280, "height": 900}
    )
    yield context
    context.close()


@dataclass
class Visit:
    portal: Portal
    page: Any
    locale: Locale
    key: str

    def shot(self, artifacts_dir: Path, name: str) -> None:
        screenshot(self.page, artifacts_dir, f"i18n-{self.locale.code}-{name}")


@pytest.fixture
def visit(portal: Portal, context: Any, locale: Locale) -> Visit:
    portal.user("alice")
    make_user("charlie", is_superuser=True)
    key = "users/alice/notes.txt"
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=key, body=b"hello")
    page = context.new_page()
    page.goto(f"{portal.url}/accounts/login/")
    page.locator("#id_username").fill("alice")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{portal.url}/")
    return Visit(portal, page, locale, key)


def open_page(visit: Visit, name: str) -> None:
    page, portal = visit.page, visit.portal
    if name == "login":
        page.context.clear_cookies()
        page.goto(f"{portal.url}/accounts/login/")
    elif name == "regions":
        page.goto(f"{portal.url}/")
    elif name == "bucket":
        page.goto(objects_url(portal, prefix="users/alice/"))
    elif name == "access":
        page.goto(f"{portal.url}/access/")
    elif name == "admin":
        page.context.clear_cookies()
        page.goto(f"{portal.url}/admin/login/?next=/admin/")
        page.locator("#id_username").fill("charlie")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#login-form [type=submit]").click()
        page.wait_for_url(f"{portal.url}/admin/")
    assert visit.locale.words[name] in page.locator("body").inner_text()
    assert page.locator("html").get_attribute("lang") == visit.locale.code


@pytest.mark.parametrize("name", ["login", "regions", "bucket", "access", "admin"])
def test_it_shows_no_english_interface_words(visit: Visit, name: str, artifacts_dir: Path) -> None:
    open_page(visit, name)
    visit.shot(artifacts_dir, name)
    assert english_words(visible_text(visit.page)) == []


def test_it_shows_an_objects_time_in_the_browsers_zone(visit: Visit) -> None:
    listing = cos.list_objects(ROOT, region=REGION, bucket=visit.portal.bucket, prefix="users/alice/")
    (stored,) = [item for item in listing.objects if item.key == visit.key]
    assert stored.last_modified is not None
    local = stored.last_modified.astimezone(ZoneInfo(visit.locale.zone)).strftime("%Y-%m-%d %H:%M")
    utc = stored.last_modified.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    assert local != utc
    open_page(visit, "bucket")
    shown = visit.page.locator(f"tr[data-key='{visit.key}'] .col-date").inner_text()
    assert " ".join(shown.split()) == f"{local} ({visit.locale.zone})"
    assert visit.locale.zone in visit.page.get_by_test_id("time-zone").inner_text()


def test_it_runs_the_upload_panel_in_the_browsers_language(visit: Visit, tmp_path: Path) -> None:
    open_page(visit, "bucket")
    upload = tmp_path / f"hello-{visit.locale.code}.txt"  # a new name: one that exists asks "replace?" first
    upload.write_bytes(b"hello from the browser")
    visit.page.locator("#upload-input").set_input_files(str(upload))
    item = visit.page.locator(f".upload-item[data-key='users/alice/{upload.name}'][data-state=done]")
    item.wait_for(timeout=15000)
    state = item.locator(".upload-state").inner_text()
    assert state == {"zh-hans": "已上传", "ja": "アップロード完了"}[visit.locale.code]


def test_it_switches_language_from_the_footer_and_remembers_it(visit: Visit) -> None:
    other = {"zh-hans": ("ja", "リージョン"), "ja": ("zh-hans", "地域")}[visit.locale.code]
    open_page(visit, "regions")
    visit.page.locator("#language-select").select_option(other[0])  # locale.js submits the form on change
    visit.page.wait_for_function(f"document.documentElement.lang === '{other[0]}'")
    assert visit.page.url == f"{visit.portal.url}/"
    assert other[1] in visit.page.locator("h1").inner_text()
    cookies = {c["name"]: c["value"] for c in visit.page.context.cookies()}
    assert cookies["django_language"] == other[0]
    visit.page.goto(f"{visit.portal.url}/access/")  # the browser still asks for its own language: the cookie wins
    assert visit.page.locator("html").get_attribute("lang") == other[0]
