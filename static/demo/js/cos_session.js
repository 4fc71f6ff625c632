// One cos-js-sdk-v5 instance for the objects page (uploads and the file manager alike), with the signed-in user's
// temporary credentials from /sts (upload_credentials.js), and a promise-shaped call for the file manager.
import { Credentials } from './upload_credentials.js';

const { gettext } = window;
export const PART_SIZE = 1024 * 1024;
// Above this size sliceCopyFile copies in parts at COS (Initiate, Upload Part - Copy of 10 MiB ranges, Complete:
// src/advance.js); at or below it, one PUT Object - Copy. The bytes never pass through the browser either way.
export const COPY_SLICE_SIZE = 10 * 1024 * 1024;
const FILES_AT_ONCE = 4;

// The session ended (signed out elsewhere, or expired): the header no longer names the user.
export function showSignedOut() {
  document.querySelectorAll('[data-testid=nav-user]').forEach((node) => {
    node.textContent = gettext('Signed out');
    node.setAttribute('data-signed-out', 'true');
  });
  // The policy in use was the signed-in user's: it names nobody now.
  document.querySelectorAll('[data-testid=nav-policy]').forEach((node) => node.closest('li').remove());
}

export function openSession(config, csrfToken, onSignedOut) {
  const credentials = new Credentials({
    stsUrl: config.stsUrl,
    csrfToken,
    onSignedOut: () => {
      showSignedOut();
      if (onSignedOut) onSignedOut();
    },
  });
  const options = {
    getAuthorization: (opts, callback) => credentials.get(opts, callback),
    Protocol: config.protocol,
    ChunkSize: PART_SIZE,
    SliceSize: PART_SIZE,
    ChunkParallelLimit: 3,
    FileParallelLimit: FILES_AT_ONCE,
    ProgressInterval: 250,
    CopySliceSize: COPY_SLICE_SIZE,
    CopyChunkSize: COPY_SLICE_SIZE,
    CopyChunkParallelLimit: 4,
  };
  if (config.domain) {
    options.Domain = config.domain;
    options.AutoSwitchHost = false;
  }
  const cos = new window.COS(options);
  credentials.cos = cos;
  return {
    cos,
    credentials,
    // cos[method] on this page's bucket, resolved as {err, data} (never rejected).
    call(method, params) {
      return new Promise((resolve) => {
        cos[method]({ Bucket: config.bucket, Region: config.region, ...params }, (err, data) => resolve({ err, data }));
      });
    },
  };
}

export function errorCode(err) {
  return (err && ((err.error && (err.error.Code || err.error.code)) || err.code)) || '';
}

export function errorMessage(err) {
  if (!err) return '';
  const code = errorCode(err);
  const message = (err.error && (err.error.Message || err.error.message)) || err.message || '';
  if (code === 'AccessDenied' || err.statusCode === 403) {
    return gettext('COS refused it (AccessDenied): your access policy does not allow it.');
  }
  return (code ? code + ': ' : '') + (message || gettext('COS did not answer.'));
}
