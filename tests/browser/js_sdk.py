"""What the browser tests that drive cos-js-sdk-v5 on a page of their own share: the SDK's file, and temporary keys
from localcloud's STS in the shape the SDK's getAuthorization callback takes, and one SDK call made on the page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from localcloud.server import RunningServer
from qcloud.endpoints import local_domain
from tests.factories import APPID, REGION

SDK = Path(__file__).resolve().parents[2] / "node_modules" / "cos-js-sdk-v5" / "dist" / "cos-js-sdk-v5.min.js"


def sdk_options(localcloud: RunningServer, bucket: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    """Temporary keys allowed exactly `actions` on `resources` (keys relative to the bucket: "users/alice/*", ""
    for the bucket itself; or whole resource names), with the bucket's Domain, for the page's `new COS(...)`."""
    statement = {
        "effect": "allow",
        "action": [f"name/cos:{action}" for action in actions],
        "resource": [
            name if name.startswith("qcs::") else f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/{name}" for name in resources
        ],
    }
    creds = localcloud.app.credentials.issue(
        name="alice", policies=[{"version": "2.0", "statement": [statement]}], duration=1800
    )
    return {
        "domain": local_domain(localcloud.url),
        "bucket": bucket,
        "region": REGION,
        "credentials": {
            "TmpSecretId": creds.secret_id,
            "TmpSecretKey": creds.secret_key,
            "SecurityToken": creds.token,
            "StartTime": int(time.time()) - 1,
            "ExpiredTime": creds.expires_at,
        },
    }


# Each call resolves to {ok, data} (with the headers the page may read) or {ok: false, error}.
CALL = """
async ([options, method, params]) => {
  const cos = new COS({
    Domain: options.domain,
    Protocol: 'http:',
    getAuthorization: (scope, callback) => callback(options.credentials),
  });
  try {
    const data = await cos[method](Object.assign({Bucket: options.bucket, Region: options.region}, params));
    return {ok: true, data: JSON.parse(JSON.stringify(data))};
  } catch (err) {
    return {ok: false, error: {statusCode: err.statusCode, code: (err.error && err.error.Code) || err.code || ''}};
  }
}
"""


def call(page: Any, settings: dict[str, Any], method: str, **params: Any) -> dict[str, Any]:
    """`cos[method]({Bucket, Region, ...params})` on the page, with the keys and Domain of `settings` (sdk_options)."""
    return dict(page.evaluate(CALL, [settings, method, params]))
