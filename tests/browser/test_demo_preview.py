"""The preview page in Chromium: an image through COS's image processing (the thumbnail, never the original), a PDF
in a frame, text (escaped: a stored HTML file shows its source and runs nothing), audio and video that really load,
the metadata HeadObject answers (custom x-cos-meta-* included), under the page's CSP; and the denied case."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from demo import cos
from tests.browser.pages_common import owner_statements, pdf, picture, preview_url, wav
from tests.demo.live import ROOT, Portal, csp_violations, login, portal_fixture, screenshot, watch_csp
from tests.factories import REGION
from tests.net import loopback_get

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser

RECORD_WEBM = """async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 240;
  const context = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const done = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  for (let frame = 0; frame < 20; frame += 1) {
    context.fillStyle = `hsl(${frame * 18}, 80%, 50%)`;
    context.fillRect(0, 0, 320, 240);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  recorder.stop();
  await done;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""


def put(portal: Portal, key: str, body: bytes, content_type: str, **extra: Any) -> None:
    cos._client(ROOT, REGION).put_object(Bucket=portal.bucket, Key=key, Body=body, ContentType=content_type, **extra)


def storage_requests(page: Any, portal: Portal) -> list[Any]:
    """Every answer from localcloud the page receives, in order."""
    seen: list[Any] = []
    page.on("response", lambda response: seen.append(response) if portal.is_storage(response.url) else None)
    return seen


def test_it_previews_an_image_as_a_thumbnail(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    portal.user("alice", statements=owner_statements())
    original = picture(2400, 1800)
    put(portal, "users/alice/big.png", original, "image/png", Metadata={"x-cos-meta-camera": "pinhole"})
    watch_csp(page)
    login(page, portal, "alice")
    answers = storage_requests(page, portal)
    page.goto(preview_url(portal.url, portal.bucket, "users/alice/big.png"))
    image = page.get_by_test_id("preview-image")
    page.wait_for_function("() => document.querySelector('[data-testid=preview-image]').naturalWidth > 0")
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert (width, height) == (960, 720)
    assert len(answers) == 1
    assert "imageMogr2%2Fthumbnail%2F960x720" in answers[0].url
    assert answers[0].status == 200
    assert len(answers[0].body()) < len(original)
    assert Image.open(io.BytesIO(answers[0].body())).size == (960, 720)
    # The metadata HeadObject answered, the custom header included.
    assert page.get_by_test_id("meta-type").inner_text() == "image/png"
    assert page.locator("[data-meta=camera]").inner_text() == "pinhole"
    assert (
        page.get_by_test_id("meta-etag").inner_text()
        == cos.head_object(ROOT, region=REGION, bucket=portal.bucket, key="users/alice/big.png").etag
    )
    assert csp_violations(page) == []
    screenshot(page, artifacts_dir, "preview-image")


def test_it_previews_pdf_text_audio_and_video(portal: Portal, page: Any, artifacts_dir: Path) -> None:
    portal.user("alice", statements=owner_statements())
    watch_csp(page)
    login(page, portal, "alice")
    webm = base64.b64decode(page.evaluate(RECORD_WEBM))
    put(portal, "users/alice/paper.pdf", pdf(), "application/pdf")
    put(portal, "users/alice/page.html", b"<h1 id=injected>hi</h1><script>window.ran = 1</script>", "text/html")
    put(portal, "users/alice/tone.wav", wav(1.0), "audio/wav")
    put(portal, "users/alice/clip.webm", webm, "video/webm")
    answers = storage_requests(page, portal)

    with page.expect_response(lambda a: portal.is_storage(a.url) and "paper.pdf" in a.url) as frame:
        page.goto(preview_url(portal.url, portal.bucket, "users/alice/paper.pdf"))
    # The frame's document is the PDF from the storage origin (Chromium's viewer may fetch it again itself).
    assert frame.value.status == 200
    assert frame.value.headers["content-type"] == "application/pdf"
    assert int(frame.value.headers["content-length"]) == len(pdf())
    assert page.get_by_test_id("preview-pdf").get_attribute("src").startswith(f"/buckets/{REGION}/")
    assert csp_violations(page) == []
    screenshot(page, artifacts_dir, "preview-pdf")

    page.goto(preview_url(portal.url, portal.bucket, "users/alice/page.html"))
    text = page.get_by_test_id("preview-text")
    assert text.inner_text() == "<h1 id=injected>hi</h1><script>window.ran = 1</script>"
    assert page.locator("#injected").count() == 0
    assert page.evaluate("() => window.ran") is None
    assert not any("page.html" in a.url for a in answers)  # read by the portal with a Range GET, not by the page

    page.goto(preview_url(portal.url, portal.bucket, "users/alice/tone.wav"))
    page.wait_for_function("() => document.querySelector('[data-testid=preview-audio]').readyState >= 1")
    duration = page.get_by_test_id("preview-audio").evaluate("audio => audio.duration")
    assert abs(duration - 1.0) < 0.05

    page.goto(preview_url(portal.url, portal.bucket, "users/alice/clip.webm"))
    page.wait_for_function("() => document.querySelector('[data-testid=preview-video]').readyState >= 1")
    size = page.get_by_test_id("preview-video").evaluate("video => [video.videoWidth, video.videoHeight]")
    assert size == [320, 240]
    assert csp_violations(page) == []
    screenshot(page, artifacts_dir, "preview-video")


def test_it_refuses_a_preview_the_policy_does_not_allow(portal: Portal, page: Any) -> None:
    portal.user("alice", preset="upload to own prefix")  # no HeadObject, no GetObject
    put(portal, "users/alice/mine.txt", b"secret", "text/plain")
    login(page, portal, "alice")
    response = page.goto(preview_url(portal.url, portal.bucket, "users/alice/mine.txt"))
    assert response.status == 403
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:HeadObject"
    assert f"{portal.bucket}/users/alice/mine.txt" in page.locator("code.resource").inner_text()
    file_page = page.goto(
        f"{portal.url}/buckets/{REGION}/{portal.bucket}/preview/file/?key=users/alice/mine.txt&as=inline"
    )
    assert file_page.status == 403
    assert page.get_by_test_id("denied-action").inner_text() == "name/cos:GetObject"
    # Forced with her own temporary credentials (what /sts gives her page), COS refuses as well.
    credentials = page.evaluate(
        "async () => (await fetch('/sts', {method: 'POST', headers: {'X-CSRFToken':"
        " document.cookie.match(/csrftoken=([^;]+)/)[1]}})).json()"
    )
    keys = cos.Keys(
        credentials["credentials"]["tmpSecretId"],
        credentials["credentials"]["tmpSecretKey"],
        credentials["credentials"]["sessionToken"],
    )
    forced = loopback_get(cos.presign_get(keys, region=REGION, bucket=portal.bucket, key="users/alice/mine.txt"))
    assert forced.status_code == 403
    assert "<Code>AccessDenied</Code>" in forced.text
