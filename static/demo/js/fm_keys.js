// What the file manager does at COS, with the page's session (cos_session.js): list everything under a folder,
// delete keys in batches, copy and move. Every call is signed with the user's temporary credentials; COS (or
// localcloud) judges each one against the user's policy, whatever the page offered.
import { COPY_SLICE_SIZE, errorCode, errorMessage } from './cos_session.js';

const { gettext, interpolate } = window;
export const DELETE_BATCH = 1000; // DeleteMultipleObjects takes at most 1,000 keys a request
const MAX_KEY_BYTES = 850; // COS's longest object key, in UTF-8 bytes
const FORBIDDEN = /[\\\u0000-\u001f\u007f]/;

// Why `name` cannot be one folder or file name ('' when it can).
export function nameProblem(name) {
  if (!name || !name.trim()) return gettext('Give it a name.');
  if (name.includes('/')) return gettext('A name cannot contain “/”: that separates folders.');
  if (name === '.' || name === '..') return gettext('“.” and “..” are not names COS can list.');
  if (FORBIDDEN.test(name)) return gettext('A name cannot contain “\\” or control characters.');
  if (name !== name.trim()) return gettext('A name cannot start or end with a space.');
  return '';
}

// Why `path` (folders separated by "/", "" for the bucket's top) cannot be a destination folder.
export function folderProblem(path) {
  const parts = path.split('/').filter((part, index, all) => part || index !== all.length - 1);
  for (const part of parts) {
    const problem = part ? nameProblem(part) : gettext('A folder path cannot contain “//”.');
    if (problem) return problem;
  }
  return '';
}

export function keyProblem(key) {
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
    return interpolate(gettext('That name is too long: COS keys are at most %(max)s bytes.'), { max: MAX_KEY_BYTES }, true);
  }
  return '';
}

export function under(prefixes, key) {
  return (prefixes || []).some((prefix) => key.startsWith(prefix));
}

// Every object under `prefix` (no delimiter: sub-folders and their marker objects included), 1,000 a page.
export async function listAll(session, prefix, onPage = () => {}) {
  const objects = [];
  let marker = '';
  for (;;) {
    const { err, data } = await session.call('getBucket', { Prefix: prefix, Marker: marker, MaxKeys: 1000 });
    if (err) throw new Error(errorMessage(err));
    const page = (data.Contents || []).map((item) => ({ key: item.Key, size: Number(item.Size) || 0 }));
    objects.push(...page);
    onPage(objects.length);
    const truncated = data.IsTruncated === 'true' || data.IsTruncated === true;
    if (!truncated || !page.length) break;
    marker = data.NextMarker || page[page.length - 1].key;
  }
  return objects;
}

// DeleteMultipleObjects in batches of DELETE_BATCH (Quiet off: COS names what it deleted and what it refused).
// Resolves {deleted: [key], failed: [{key, why}]}; onProgress(done, total) after each batch.
export async function deleteKeys(session, keys, onProgress = () => {}) {
  const deleted = [];
  const failed = [];
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const { err, data } = await session.call('deleteMultipleObject', { Objects: batch.map((Key) => ({ Key })) });
    if (err) {
      failed.push(...batch.map((key) => ({ key, why: errorMessage(err) })));
    } else {
      deleted.push(...(data.Deleted || []).map((item) => item.Key));
      failed.push(...(data.Error || []).map((item) => ({ key: item.Key, why: (item.Code || '') + (item.Message ? ': ' + item.Message : '') })));
    }
    onProgress(Math.min(start + batch.length, keys.length), keys.length);
  }
  return { deleted, failed };
}

// "<bucket>.cos.<region>.myqcloud.com/<key>": COS's name for a copy's source (the SDK reads bucket and region from
// it and sends it as x-cos-copy-source, whose key part is URL-encoded), whatever host the page talks to.
export function copySource(config, key) {
  const encoded = key.split('/').map(encodeURIComponent).join('/');
  return `${config.bucket}.cos.${config.region}.myqcloud.com/${encoded}`;
}

// Copy `from` to `to` in the same bucket. sliceCopyFile does one PUT Object - Copy up to COPY_SLICE_SIZE and a
// multipart Upload Part - Copy above it; a multipart copy that fails is aborted, so it leaves no parts behind.
export async function copyKey(session, config, from, to) {
  const uploadIds = [];
  const { err } = await session.call('sliceCopyFile', {
    Key: to,
    CopySource: copySource(config, from),
    CopySliceSize: COPY_SLICE_SIZE,
  });
  if (!err) return '';
  // sliceCopyFile leaves a failed multipart copy's upload open (src/advance.js): abort it, parts and all.
  const { data } = await session.call('multipartList', { Prefix: to });
  for (const upload of [].concat((data && data.Upload) || [])) if (upload.Key === to) uploadIds.push(upload.UploadId);
  for (const UploadId of uploadIds) await session.call('multipartAbort', { Key: to, UploadId });
  return errorCode(err) === 'NoSuchKey' ? gettext('it is no longer there') : errorMessage(err);
}

// Rename / move: copy every pair, then delete the sources whose copies succeeded, and only those (a failed copy
// keeps its source: nothing is lost). `pairs`: [[from, to]]. Resolves rows for Status.details and counts.
export async function moveKeys(session, config, pairs, onProgress = () => {}) {
  const copied = [];
  const rows = [];
  const total = pairs.length * 2; // a copy, then a delete, for each
  let done = 0;
  for (const [from, to] of pairs) {
    const why = await copyKey(session, config, from, to);
    if (why) {
      rows.push([from, interpolate(gettext('not copied (%(why)s); left where it was'), { why }, true), 'kept']);
    } else {
      copied.push([from, to]);
    }
    done += 1;
    onProgress(done, total);
  }
  const { deleted, failed } = await deleteKeys(session, copied.map(([from]) => from),
    (n) => onProgress(pairs.length + n, total));
  onProgress(total, total);
  const target = new Map(copied);
  for (const from of deleted) rows.push([from, interpolate(gettext('moved to %(to)s'), { to: target.get(from) }, true), 'done']);
  for (const { key, why } of failed) {
    rows.push([key, interpolate(gettext('copied to %(to)s, but the original could not be removed (%(why)s): both exist'),
      { to: target.get(key), why }, true), 'failed']);
  }
  return { rows, moved: deleted.length, notCopied: pairs.length - copied.length, notRemoved: failed.length };
}
