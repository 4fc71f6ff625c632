"""List thumbnails come from COS's image processing (imageMogr2/thumbnail, signed, through the portal's download
view), 96 px for a 48 px cell: the page never downloads an original to show it small. A user who may list but
not read gets file icons, the portal refuses the thumbnail link, and COS refuses the read.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from demo import cos
from tests.demo.live import ROOT, Portal, login, objects_url, portal_fixture, sdk_call
from tests.factories import REGION

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

LOADED = "img => img.complete && img.naturalWidth > 0"


def picture(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def test_it_shows_thumbnails_cos_made_not_the_originals(portal: Portal, page: Any) -> None:
    big = picture((1600, 1200), "JPEG")
    for key, body in [("users/alice/pics/big.jpg", big), ("users/alice/pics/small.png", picture((40, 30)))]:
        cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key=key, body=body)
    portal.user("alice")
    login(page, portal, "alice")
    images: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: images.append((r.url, len(r.body())))
        if portal.is_storage(r.url) and r.request.resource_type == "image"
        else None,
    )
    page.goto(objects_url(portal, prefix="users/alice/pics/"))
    thumb = page.locator("tr[data-key='users/alice/pics/big.jpg'] img.thumb")
    page.wait_for_function(LOADED, arg=thumb.element_handle())
    assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [96, 72]
    small = page.locator("tr[data-key='users/alice/pics/small.png'] img.thumb")
    page.wait_for_function(LOADED, arg=small.element_handle())
    assert small.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [40, 30]  # never enlarged
    assert len(images) == 2
    for url, size in images:
        assert "imageMogr2%2Fthumbnail%2F96x96%3E" in url, url
        assert size < len(big) // 4


def test_it_shows_no_thumbnail_to_a_user_who_may_not_read(portal: Portal, page: Any) -> None:
    cos.put_object(ROOT, region=REGION, bucket=portal.bucket, key="users/grace/p.png", body=picture((300, 300)))
    portal.user("grace", preset="upload to own prefix")
    login(page, portal, "grace")
    page.goto(objects_url(portal, prefix="users/grace/"))
    row = page.locator("tr[data-key='users/grace/p.png']")
    assert row.locator("img").count() == 0
    assert row.locator(".icon-file").count() == 1
    response = page.goto(f"{portal.url}/buckets/{REGION}/{portal.bucket}/download/?key=users/grace/p.png&thumbnail=1")
    assert response.status == 403
    assert "name/cos:GetObject" in page.get_by_test_id("denied-action").inner_text()
    page.goto(objects_url(portal, prefix="users/grace/"))
    read = sdk_call(page, "getObject", Key="users/grace/p.png")
    assert (read["ok"], read["statusCode"], read["code"]) == (False, 403, "AccessDenied")
