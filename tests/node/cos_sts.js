// Drives the real npm qcloud-cos-sts (Tencent's temporary-key server SDK) against localcloud, for the Python tests.
//
// node tests/node/cos_sts.js '<json options>'  ->  one line of JSON on stdout: {"data": ...} or {"error": ...}
// Options are the SDK's own (secretId, secretKey, policy, durationSeconds, region, roleArn) plus "action"
// ("getCredential" or "getRoleCredential") and "endpoint" ("127.0.0.1:<port>").
//
// The SDK lets a caller choose the host (`host` / `endpoint`, which it also signs) but not the scheme: it always
// requests https://<host>/. localcloud speaks plain HTTP, so this script rewrites the scheme of the SDK's own axios
// requests, and nothing else: the signature, form body and headers are the SDK's.
'use strict';
const path = require('path');
const sts = require('qcloud-cos-sts');
const axios = require(require.resolve('axios', { paths: [path.dirname(require.resolve('qcloud-cos-sts'))] }));

axios.interceptors.request.use((config) => {
  config.url = config.url.replace(/^https:\/\//, 'http://');
  return config;
});

const options = JSON.parse(process.argv[2]);
const action = options.action;
delete options.action;
sts[action](options)
  .then((data) => process.stdout.write(JSON.stringify({ data }) + '\n'))
  .catch((error) => {
    const shown = error && error.Code ? error : { Message: String(error) };
    process.stdout.write(JSON.stringify({ error: shown }) + '\n');
  });
