// Runs cos-nodejs-sdk-v5 calls against a localcloud, for tests/localcloud/test_cos_node_sdk.py.
//
//   node tests/node/cos_calls.js '<json>'
//
// <json>: {"ip": "127.0.0.1:9100", "secretId", "secretKey", "token" (optional), "calls": [[method, params], ...]}.
// The SDK keeps its default virtual-host domain ({Bucket}.cos.{Region}.myqcloud.com) and its `Ip` option sends
// each request to localcloud with that Host header, as the Python SDK's IP/Port mode does. Prints one JSON line:
// [{"ok": true, "data": ...} | {"ok": false, "error": {"statusCode", "code", "message"}}, ...], one per call,
// run one after the other.
'use strict';

const COS = require('cos-nodejs-sdk-v5');

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const cos = new COS({
    SecretId: spec.secretId,
    SecretKey: spec.secretKey,
    SecurityToken: spec.token || undefined,
    Protocol: 'http:',
    Ip: spec.ip,
    Timeout: 20000,
  });
  const results = [];
  for (const [method, params] of spec.calls) {
    try {
      const data = await cos[method](params);
      delete data.headers;
      results.push({ ok: true, data });
    } catch (err) {
      const error = err.error || err;
      results.push({
        ok: false,
        error: {
          statusCode: err.statusCode,
          code: (error && (error.Code || error.code)) || String(err.message || err),
          message: (error && (error.Message || error.message)) || '',
        },
      });
    }
  }
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
