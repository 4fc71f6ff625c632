"""The pages other than the objects list on a 390 x 844 phone: sign-in, regions, buckets, bucket details, preview
(with a share link made) and My access. None scrolls sideways, and every control a person taps is at least 44 px
high (links inside running text excepted, as WCAG 2.5.8 does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from demo import cos
from tests.browser.pages_common import owner_statements, picture, preview_url
from tests.demo.live import ROOT, Portal, login, portal_fixture, screenshot
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a, button, select, input:not([type=hidden]), [role=button]')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || box.right <= 0 || el.closest('.visually-hidden')) continue;
    if (el.tagName === 'A' && !el.matches('[role=button]') && el.closest('p, small, figcaption, .notice')) continue;
    // A radio button's target is its label.
    const choice = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label');
    const height = (choice || el).getBoundingClientRect().height;
    const label = (el.textContent || el.value || el.name || '').trim().slice(0, 30);
    if (height < 44) small.push(`${el.tagName.toLowerCase()} "${label}" ${Math.round(height)}px`);
  }
  return small;
}"""


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 10)
  .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`)"""


def check(page: Any, name: str, artifacts_dir: Path) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide: {page.evaluate(WIDER_THAN_SCREEN)}"
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{name} has targets under 44 px: {small}"
    screenshot(page, artifacts_dir, f"phone-{name}")


def test_it_fits_the_pages_on_a_phone(portal: Portal, browser: Any, artifacts_dir: Path) -> None:
    portal.user("alice", statements=owner_statements())
    key = "users/alice/a-rather-long-folder-name/holiday-photo-with-a-long-name-2026-12-01.png"
    cos.put_object(
        ROOT, region=REGION, bucket=portal.bucket, key=key, body=picture(1600, 1200), content_type="image/png"
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{portal.url}/accounts/login/")
        check(page, "login", artifacts_dir)
        login(page, portal, "alice")
        check(page, "regions", artifacts_dir)
        page.goto(f"{portal.url}/regions/{REGION}/")
        row = page.locator(f"tr[data-row-bucket='{portal.bucket}']")
        assert row.get_by_test_id("bucket-delete").is_visible()
        check(page, "buckets", artifacts_dir)
        row.get_by_test_id("bucket-details").click()
        page.wait_for_url(f"**/buckets/{REGION}/{portal.bucket}/details/")
        check(page, "bucket-details", artifacts_dir)
        page.goto(preview_url(portal.url, portal.bucket, key))
        page.get_by_test_id("preview-image").wait_for()
        page.wait_for_function("() => document.querySelector('[data-testid=preview-image]').complete")
        check(page, "preview", artifacts_dir)
        page.get_by_test_id("share-create").click()
        page.get_by_test_id("share-url").wait_for()
        check(page, "share", artifacts_dir)
        page.goto(f"{portal.url}/access/")
        page.get_by_test_id("token-name").fill("phone")
        page.get_by_test_id("create-token").click()
        page.get_by_test_id("new-token").wait_for()
        check(page, "access", artifacts_dir)
    finally:
        context.close()
