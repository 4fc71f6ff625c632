"""Upload limits on the upload page (issue 7): with a policy for image/* up to 5 MiB, the page refuses a 6 MiB
image and a text file before sending a byte, naming the limit, and a 4 MiB image uploads (multipart) and is stored.
"My access" shows the limits in plain words. Past the page's own checks, localcloud enforces the limits signed into
the credential: cos-js-sdk-v5's single PUT stores a 4 MiB image and is refused 403 AccessDenied for a 6 MiB image
and a text file.
"""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.demo.live import MiB, Portal, login, md5, objects_url, portal_fixture, screenshot

__all__ = ["portal_fixture"]  # the fixture, for pytest

pytestmark = pytest.mark.browser


def test_it_refuses_files_over_the_limit_or_of_the_wrong_type_before_sending(
    portal: Portal, page: Any, artifacts_dir: Path
) -> None:
    portal.user("alice", max_object_size=5 * MiB, allowed_content_types="image/*")
    login(page, portal, "alice")
    page.goto(f"{portal.url}/access/")
    limits = page.get_by_test_id("policy-limits").inner_text()
    assert "Uploads of at most 5 MiB" in limits
    assert "Only files of type image/*" in limits

    page.goto(objects_url(portal))
    assert "At most 5 MiB per file" in page.get_by_test_id("upload-limits").inner_text()
    page.wait_for_load_state("networkidle")  # the page's own requests at load (its unfinished uploads) are done
    bytes_before = portal.count("cos:bytes_in")
    sts_calls = page.evaluate("() => performance.getEntriesByType('resource').length")

    page.set_input_files("#upload-input", {"name": "huge.png", "mimeType": "image/png", "buffer": os.urandom(6 * MiB)})
    huge = page.locator(".upload-item", has_text="huge.png")
    assert huge.get_attribute("data-state") == "refused"
    assert "at most 5 MiB" in huge.locator(".upload-error").inner_text()
    page.set_input_files("#upload-input", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"plain text"})
    notes = page.locator(".upload-item", has_text="notes.txt")
    assert notes.get_attribute("data-state") == "refused"
    assert "only image/*" in notes.locator(".upload-error").inner_text()
    screenshot(page, artifacts_dir, "upload-refused")
    # Nothing went anywhere: no request from the page, no byte at COS.
    assert page.evaluate("() => performance.getEntriesByType('resource').length") == sts_calls
    assert portal.count("cos:bytes_in") == bytes_before

    content = os.urandom(4 * MiB)
    page.set_input_files("#upload-input", {"name": "ok.png", "mimeType": "image/png", "buffer": content})
    page.wait_for_selector(".upload-item[data-state=done]", timeout=30_000)
    assert md5(portal.stored("users/alice/ok.png")) == md5(content)


# cos-js-sdk-v5's plain putObject (one PUT, never multipart) on the upload page, with credentials from the portal's
# /sts narrowed to the SDK's scope of the request (session cookie, CSRF token): the per-request scopes /sts keeps
# for clients that want them; the limits hold either way.
PUT_OBJECT = """async ([name, base64, type]) => {
  const config = JSON.parse(document.getElementById('upload-config').textContent);
  const csrfToken = document.querySelector('#upload-form [name=csrfmiddlewaretoken]').value;
  let stsError = null;
  const cos = new COS({
    Domain: config.domain,
    Protocol: config.protocol,
    AutoSwitchHost: false,
    getAuthorization: function (options, callback) {
      fetch(config.stsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken },
        body: JSON.stringify({ scopes: options.Scope || [] }),
      }).then(async function (response) {
        const body = await response.json();
        if (!response.ok) stsError = response.status + ' ' + JSON.stringify(body);
        callback(response.ok ? {
          TmpSecretId: body.credentials.tmpSecretId,
          TmpSecretKey: body.credentials.tmpSecretKey,
          SecurityToken: body.credentials.sessionToken,
          StartTime: body.startTime,
          ExpiredTime: body.expiredTime,
          ScopeLimit: true,
        } : {});
      });
    },
  });
  const body = new Blob([Uint8Array.from(atob(base64), c => c.charCodeAt(0))], { type: type });
  const key = config.prefix + name;
  return new Promise(function (resolve) {
    cos.putObject({ Bucket: config.bucket, Region: config.region, Key: key, Body: body, ContentType: type },
      function (err, data) {
        resolve(err
          ? { key: key, statusCode: err.statusCode, code: err.code, errorCode: err.error && err.error.Code,
              stsError: stsError }
          : { key: key, statusCode: data.statusCode, etag: data.ETag });
      });
  });
}"""


def put_object(page: Any, name: str, content: bytes, content_type: str) -> dict[str, Any]:
    return dict(page.evaluate(PUT_OBJECT, [name, base64.b64encode(content).decode(), content_type]))


def test_it_judges_single_puts_from_cos_js_sdk_by_the_policy_limits(portal: Portal, page: Any) -> None:
    """Past the page's own checks, localcloud enforces the limits the portal signed into the credential."""
    portal.user("alice", max_object_size=5 * MiB, allowed_content_types="image/*")
    login(page, portal, "alice")
    page.goto(objects_url(portal))  # cos-js-sdk-v5, the upload config and the CSRF token
    before = portal.counts()

    image = os.urandom(4 * MiB)
    assert put_object(page, "single.png", image, "image/png") == {
        "key": "users/alice/single.png",
        "statusCode": 200,
        "etag": f'"{md5(image)}"',
    }
    assert md5(portal.stored("users/alice/single.png")) == md5(image)

    refused = {"statusCode": 403, "code": "AccessDenied", "errorCode": "AccessDenied", "stsError": None}
    # Names of this test's own: the bucket and localcloud are shared with the other tests of this worker.
    huge, notes = f"huge-{uuid.uuid4().hex[:8]}.png", f"notes-{uuid.uuid4().hex[:8]}.txt"
    assert put_object(page, huge, os.urandom(6 * MiB), "image/png") == {"key": f"users/alice/{huge}", **refused}
    assert put_object(page, notes, b"plain text", "text/plain") == {"key": f"users/alice/{notes}", **refused}
    for key in (f"users/alice/{huge}", f"users/alice/{notes}"):
        with pytest.raises(requests.HTTPError, match="404"):
            portal.stored(key)

    # Three single PUTs reached localcloud, and nothing of a multipart upload.
    after = portal.counts()
    operations = ("PutObject", "InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
    calls = {name: after.get(f"cos:{name}", 0) - before.get(f"cos:{name}", 0) for name in operations}
    assert calls == {"PutObject": 3, "InitiateMultipartUpload": 0, "UploadPart": 0, "CompleteMultipartUpload": 0}
