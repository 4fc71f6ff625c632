"""A web or hybrid app with its own users: cos-js-sdk-v5's getAuthorization sends the app's ID token to /sts as
`Authorization: Bearer`, from the app's own origin, and the upload lands in the identity's folder only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.server import RunningServer
from qcloud.endpoints import local_domain
from signer.models import CloudAccount, IdentityProvider
from tests.cos_sdk import cos_client
from tests.factories import APPID, REGION, make_bucket, make_policy
from tests.identity.oidc import OidcProvider
from tests.net import static_site

pytestmark = pytest.mark.browser
# Playwright's sync API runs an event loop in the test thread; the ORM (database flush) must be allowed beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SDK = Path(__file__).resolve().parents[2] / "node_modules" / "cos-js-sdk-v5" / "dist" / "cos-js-sdk-v5.min.js"
BUCKET = f"mobile-{APPID}"

# What the README's mobile section shows, unchanged but for the test's addresses.
APP_JS = """
window.upload = function (portal, idToken, domain, bucket, region, key) {
  const cos = new COS({
    Domain: domain,
    Protocol: 'http:',
    getAuthorization(options, callback) {
      fetch(`${portal}/sts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${idToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ scopes: options.Scope || [] }),
      })
        .then((response) => response.json())
        .then((body) => callback(body.credentials ? {
          TmpSecretId: body.credentials.tmpSecretId,
          TmpSecretKey: body.credentials.tmpSecretKey,
          SecurityToken: body.credentials.sessionToken,
          StartTime: body.startTime,
          ExpiredTime: body.expiredTime,
          ScopeLimit: true,
        } : {}));
    },
  });
  return new Promise((resolve) => cos.putObject(
    { Bucket: bucket, Region: region, Key: key, Body: 'hello from the app' },
    (err) => resolve(err ? String(err.code || err.error || err.message || 'error') : 'ok'),
  ));
};
"""
PAGE = '<!doctype html><meta charset="utf-8"><script src="/sdk.js"></script><script src="/app.js"></script>'


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    files = {"/": (PAGE.encode(), "text/html"), "/sdk.js": (SDK.read_bytes(), "text/javascript")}
    files["/app.js"] = (APP_JS.encode(), "text/javascript")

    with static_site(files) as origin:
        yield origin


def test_it_uploads_from_cos_js_sdk_with_an_id_token(
    page: Any,
    live_server: Any,
    oidc: OidcProvider,
    provider: IdentityProvider,
    account: CloudAccount,
    cloud: RunningServer,
    app_origin: str,
    settings: Any,
) -> None:
    settings.CORS_ALLOWED_ORIGINS = [app_origin]
    make_bucket(cloud, BUCKET)
    root = cos_client(cloud)
    rule = {
        "AllowedOrigin": [app_origin],
        "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "AllowedHeader": ["*"],
        "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
    }
    root.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRule": [rule]})
    provider.policy = make_policy(account, name="app uploads", bucket=BUCKET)
    provider.save()

    page.goto(app_origin)
    arguments = [live_server.url, oidc.id_token("alice"), local_domain(cloud.url), BUCKET, REGION]
    own = page.evaluate("(a) => window.upload(...a)", [*arguments, "users/oidc.alice/from-js.txt"])
    assert own == "ok"
    other = page.evaluate("(a) => window.upload(...a)", [*arguments, "users/alice/from-js.txt"])
    assert other != "ok"

    body = root.get_object(Bucket=BUCKET, Key="users/oidc.alice/from-js.txt")["Body"].get_raw_stream().read()
    assert body == b"hello from the app"
    assert not root.object_exists(Bucket=BUCKET, Key="users/alice/from-js.txt")
