// The objects page: browser-direct uploads to COS with cos-js-sdk-v5 and temporary credentials from /sts.
//
// - Credentials: one credential for the user's writable prefix, reused by the SDK for its lifetime
//   (upload_credentials.js, through cos_session.js). A folder drop is a queue: the SDK runs a few files at a time.
// - Folders: a dropped directory (webkitGetAsEntry) or one picked with "choose a folder" (webkitdirectory) keeps
//   its structure: each file's key is the prefix plus its path inside the folder.
// - Pause / Resume: pauseTask / restartTask. Cancel: cancelTask, then abortUploadTask(Level 'task', UploadId),
//   so no multipart upload is left behind at COS.
// - Resume after a reload: pick the same file again. The key is the same (prefix + file name), so the SDK finds
//   the unfinished upload with ListMultipartUploads (and its own localStorage cache), checks the parts already
//   sent with ListParts (ETag = MD5 of each part) and sends only the missing ones.
// - A name that exists is replaced only if the user says so; a policy that forbids overwriting is enforced by COS
//   (x-cos-forbid-overwrite) and the page says "exists, not replaced".
// Strings come from Django's JavaScript catalog (/jsi18n/), loaded before this module. objects.js starts it.
import { PART_SIZE, errorCode, showSignedOut } from './cos_session.js';
import { refreshObjectList } from './object_list.js';
import { PendingUploads, claimFor } from './upload_memory.js';
import { UnfinishedUploads } from './unfinished.js';
import { newItem, humanSize } from './upload_rows.js';

const { gettext, ngettext, interpolate } = window;
const SINGLE_REQUEST = 5 * 1024 * 1024 * 1024; // COS's largest simple upload

function typeMatches(pattern, type) {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp('^' + escaped + '$').test(type);
}

// A picked or dropped file and its path below the upload prefix ("photo.jpg", or "trip/day 1/photo.jpg" inside a
// folder).
function entryOf(file, path) {
  return { file, name: path || file.webkitRelativePath || file.name };
}

// Every file of a dropped directory, with its path; the directory reader answers in batches until an empty one.
async function filesIn(entry, path = '') {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [entryOf(file, path + file.name)];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const found = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) found.push(...(await filesIn(child, path + entry.name + '/')));
  }
  return found;
}

export async function droppedFiles(dataTransfer) {
  const entries = Array.from(dataTransfer.items || [])
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length || !entries.some((entry) => entry.isDirectory)) {
    return Array.from(dataTransfer.files || []).map((file) => entryOf(file));
  }
  const lists = await Promise.all(entries.map((entry) => filesIn(entry)));
  return lists.flat();
}

export class UploadPage {
  constructor(config, form, session) {
    this.config = config;
    this.multipartAllowed = config.multipart !== false;
    this.forbidOverwrite = config.forbidOverwrite === true;
    this.user = form.dataset.user || '';
    this.loginUrl = form.dataset.loginUrl || '/accounts/login/';
    this.list = document.getElementById('upload-list');
    this.template = document.getElementById('upload-item-template');
    this.status = document.getElementById('upload-status');
    this.dialog = document.getElementById('overwrite-dialog');
    this.active = new Map(); // key -> row, while this page uploads it
    this.probe = null;

    claimFor(this.user); // before the SDK reads its UploadId cache
    this.pending = new PendingUploads(this.user, config.bucket, config.region);
    this.credentials = session.credentials;
    this.cos = session.cos;
    const section = document.querySelector('[data-testid=unfinished]');
    this.unfinished = section && new UnfinishedUploads({
      cos: this.cos, config, section, isActive: (key) => this.active.has(key),
    });
  }

  announce(text) {
    if (this.status) this.status.textContent = text;
  }

  row(name, size) {
    return newItem({ list: this.list, template: this.template, name, size });
  }

  // ---- what the policy refuses, and what already exists ---------------------------------------------------------

  refusal(file) {
    const { maxSize, contentTypes } = this.config;
    if (maxSize && file.size > maxSize) {
      return interpolate(gettext('%(name)s is %(size)s: your policy allows files of at most %(limit)s. Nothing was sent.'),
        { name: file.name, size: humanSize(file.size), limit: humanSize(maxSize) }, true);
    }
    const types = contentTypes || [];
    const type = file.type || 'application/octet-stream';
    if (types.length && !types.some((pattern) => typeMatches(pattern, type))) {
      return interpolate(gettext('%(name)s is of type %(type)s: your policy allows only %(types)s. Nothing was sent.'),
        { name: file.name, type, types: types.join(', ') }, true);
    }
    return '';
  }

  sdk(method, params) {
    return new Promise((resolve) => {
      this.cos[method]({ Bucket: this.config.bucket, Region: this.config.region, ...params },
        (err, data) => resolve({ err, data }));
    });
  }

  // The names among `keys` that exist at COS: one listing of the folder (a few pages at most; of everything under
  // it when a folder was dropped), then HEAD for whatever the listing could not settle.
  async existing(keys) {
    const wanted = new Set(keys);
    const found = new Set();
    const nested = keys.some((key) => key.slice(this.config.prefix.length).includes('/'));
    let marker = '';
    let settled = false;
    for (let page = 0; page < 10; page += 1) {
      const { err, data } = await this.sdk('getBucket', {
        Prefix: this.config.prefix, Delimiter: nested ? '' : '/', Marker: marker, MaxKeys: 1000,
      });
      if (err) break;
      for (const item of data.Contents || []) if (wanted.has(item.Key)) found.add(item.Key);
      if (data.IsTruncated !== 'true' && data.IsTruncated !== true) {
        settled = true;
        break;
      }
      marker = data.NextMarker || (data.Contents.length && data.Contents[data.Contents.length - 1].Key);
      if (!marker) break;
    }
    if (!settled) {
      for (const key of wanted) {
        if (found.has(key)) continue;
        const { err } = await this.sdk('headObject', { Key: key });
        if (!err) found.add(key);
      }
    }
    return found;
  }

  // "Replace?" once for the whole drop: one file, or all the existing ones of a folder.
  ask(names) {
    const dialog = this.dialog;
    if (!dialog || typeof dialog.showModal !== 'function') {
      return Promise.resolve(window.confirm(names.join('\n')) ? 'replace' : 'skip');
    }
    const many = names.length > 1;
    dialog.querySelector('#overwrite-title').textContent = interpolate(ngettext(
      '%(count)s file already exists here. Replace it?',
      '%(count)s files already exist here. Replace them?', names.length), { count: names.length }, true);
    const shown = names.slice(0, 10).map((name) => {
      const li = document.createElement('li');
      li.textContent = name;
      return li;
    });
    if (names.length > 10) {
      const more = document.createElement('li');
      more.textContent = interpolate(gettext('and %(count)s more'), { count: names.length - 10 }, true);
      shown.push(more);
    }
    dialog.querySelector('.overwrite-names').replaceChildren(...shown);
    dialog.querySelector('[data-action=replace]').textContent = many ? gettext('Replace all') : gettext('Replace');
    dialog.querySelector('[data-action=skip]').textContent = many ? gettext('Skip all') : gettext('Skip');
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue || 'skip'), { once: true });
      dialog.showModal();
    });
  }

  // `entries`: {file, name} (entryOf), name being the path below the upload prefix.
  async addFiles(entries) {
    const accepted = [];
    for (const entry of entries) {
      const { file } = entry;
      const refused = this.refusal(file);
      if (!refused) {
        accepted.push(entry);
        continue;
      }
      const item = this.row(entry.name, file.size);
      item.setState('refused', gettext('Refused'));
      item.showError(refused);
      item.buttons(false, false, false);
      this.announce(refused);
    }
    if (!accepted.length) return;
    const keyOf = (entry) => this.config.prefix + entry.name;
    const exists = await this.existing(accepted.map(keyOf));
    let replace = false;
    if (exists.size && !this.forbidOverwrite) {
      const names = accepted.filter((e) => exists.has(keyOf(e))).map((e) => e.name);
      replace = (await this.ask(names)) === 'replace';
    }
    for (const entry of accepted) {
      if (exists.has(keyOf(entry)) && !replace) this.notReplaced(this.row(entry.name, entry.file.size), entry.file);
      else this.upload(entry);
    }
    if (accepted.length > 1) {
      this.announce(interpolate(ngettext('%(count)s file queued', '%(count)s files queued', accepted.length),
        { count: accepted.length }, true));
    }
  }

  notReplaced(item, file) {
    item.setState('exists', gettext('Exists, not replaced'));
    item.progress({ loaded: 0, total: file.size, percent: 0, speed: 0 });
    item.buttons(false, false, false);
  }

  // ---- one upload -------------------------------------------------------------------------------------------------

  upload({ file, name }) {
    const item = this.row(name, file.size);
    const key = this.config.prefix + name;
    const stale = this.list.querySelector('[data-pending-key="' + CSS.escape(key) + '"]');
    if (stale) stale.remove();
    const multipart = this.multipartAllowed && file.size > PART_SIZE;
    // Shared with the SDK's task (its params are copied shallowly): the SDK writes the UploadId here, which
    // Cancel needs to abort the multipart upload.
    const uploadData = {};
    const task = { id: null, state: 'waiting', resumed: false };
    // The SDK hands over the parts COS already has when it found an unfinished upload of this file, before it
    // sends any: some of them uploaded means this upload continues an earlier one.
    let partList;
    Object.defineProperty(uploadData, 'PartList', {
      get: () => partList,
      set: (parts) => {
        if (partList === undefined && Array.isArray(parts) && parts.some((p) => p.Uploaded)) task.resumed = true;
        partList = parts;
      },
      enumerable: true,
    });
    this.active.set(key, item);
    item.node.setAttribute('data-key', key);
    item.setState('waiting', gettext('Waiting'));
    item.buttons(multipart, false, true);
    if (multipart) this.pending.remember(key, file);

    item.parts.pause.addEventListener('click', () => {
      if (!task.id) return;
      this.cos.pauseTask(task.id);
      task.state = 'paused';
      item.setState('paused', gettext('Paused'));
      item.still();
      item.buttons(false, true, true);
      item.parts.resume.focus();
      this.announce(interpolate(gettext('%(name)s paused'), { name: file.name }, true));
    });
    item.parts.resume.addEventListener('click', () => {
      if (!task.id) return;
      this.cos.restartTask(task.id);
      task.state = 'uploading';
      item.showError('');
      item.setState('uploading', gettext('Uploading'));
      item.buttons(multipart, false, true);
      item.parts.pause.focus();
      this.announce(interpolate(gettext('%(name)s resumed'), { name: file.name }, true));
    });
    item.parts.cancel.addEventListener('click', () => {
      if (task.id) this.cos.cancelTask(task.id);
      task.state = 'canceled';
      item.setState('canceling', gettext('Cancelling…'));
      item.still();
      item.buttons(false, false, false);
      this.abort(key, uploadData.UploadId, multipart, (err) => {
        this.pending.forget(key);
        this.active.delete(key);
        if (err) {
          item.setState('error', gettext('Cancelled'));
          item.showError(gettext('Stopped, but the unfinished upload could not be removed:') + ' ' + err.message);
        } else {
          item.setState('canceled', gettext('Cancelled'));
        }
        this.announce(interpolate(gettext('%(name)s cancelled'), { name: file.name }, true));
      });
    });

    const params = {
      Bucket: this.config.bucket,
      Region: this.config.region,
      Key: key,
      Body: file,
      SliceSize: multipart ? PART_SIZE : SINGLE_REQUEST,
      ChunkSize: PART_SIZE,
      ContentType: file.type || 'application/octet-stream',
      UploadData: uploadData,
      onTaskReady: (id) => { task.id = id; },
      onHashProgress: () => {
        if (task.state === 'waiting') item.setState('checking', gettext('Checking what was already sent…'));
      },
      onProgress: (info) => {
        if (task.state === 'paused' || task.state === 'canceled') return;
        if (task.state !== 'uploading') {
          task.state = 'uploading';
          item.setState('uploading', task.resumed ? gettext('Resuming') : gettext('Uploading'));
        }
        item.progress(info);
      },
      onFileFinish: (err) => this.finished(err, { file, key, item, task, multipart }),
    };
    if (this.forbidOverwrite) params.Headers = { 'x-cos-forbid-overwrite': 'true' };
    this.cos.uploadFile(params, () => { /* onFileFinish handles the outcome */ });
  }

  async finished(err, { file, key, item, task, multipart }) {
    if (task.state === 'canceled') return;
    if (err && errorCode(err) === 'FileAlreadyExists') {
      task.state = 'exists';
      this.active.delete(key);
      this.pending.forget(key);
      this.notReplaced(item, file);
      return;
    }
    if (err) {
      task.state = 'error';
      item.setState('error', gettext('Failed'));
      item.still();
      item.showError(await this.errorText(err));
      if (this.credentials.signedOut) item.offerSignIn(this.signInUrl());
      item.buttons(false, multipart && !this.credentials.signedOut, true);
      this.announce(interpolate(gettext('%(name)s failed'), { name: file.name }, true));
      return;
    }
    task.state = 'done';
    this.active.delete(key);
    this.pending.forget(key);
    item.showError('');
    item.progress({ loaded: file.size, total: file.size, percent: 1, speed: 0 });
    item.setState('done', task.resumed ? gettext('Uploaded (resumed)') : gettext('Uploaded'));
    if (task.resumed) item.node.setAttribute('data-resumed', 'true');
    item.buttons(false, false, false);
    this.announce(interpolate(gettext('%(name)s uploaded'), { name: file.name }, true));
    this.refreshSoon();
  }

  abort(key, uploadId, multipart, done) {
    if (!multipart) return done(null);
    const params = { Bucket: this.config.bucket, Region: this.config.region, Key: key };
    if (uploadId) {
      params.Level = 'task';
      params.UploadId = uploadId;
    } else {
      // Cancelled before the SDK knew its UploadId (e.g. while checking a resumed upload): remove every
      // unfinished upload of this key, which is this user's own key under their prefix.
      params.Level = 'file';
    }
    return this.cos.abortUploadTask(params, (err, data) => {
      if (err) return done({ message: this.knownErrorText(err) });
      const failed = data && data.errorList && data.errorList.length;
      const refusedText = ngettext('COS refused to abort %(count)s upload', 'COS refused to abort %(count)s uploads', failed);
      return done(failed ? { message: interpolate(refusedText, { count: failed }, true) } : null);
    });
  }

  // ---- saying what went wrong ---------------------------------------------------------------------------------------

  knownErrorText(err) {
    const code = errorCode(err);
    const message = (err.error && (err.error.Message || err.error.message)) || err.message || '';
    if (this.credentials.lastError && /getAuthorization|TmpSecretId|SecurityToken|ExpiredTime/.test(message)) {
      return this.credentials.lastError + '.';
    }
    if (code === 'AccessDenied' || err.statusCode === 403) {
      return gettext('COS refused the upload (AccessDenied): your access policy does not allow it.') + ' ' + (message || '');
    }
    return (code ? code + ': ' : '') + (message || gettext('the upload failed.'));
  }

  async errorText(err) {
    if (!err) return gettext('The upload failed.');
    const message = String((err.error && err.error.message) || err.message || '');
    const noAnswer = !err.statusCode && (!errorCode(err) || /network error/i.test(message));
    if (noAnswer && !this.credentials.lastError) return this.unreachableText();
    return this.knownErrorText(err);
  }

  // The browser says the same thing ("network error") whether storage is down or its CORS rule refuses this
  // page's origin. A request that needs no CORS answer tells the two apart: it fails only if nothing answers.
  storageUrl() {
    const { domain, bucket, region, protocol } = this.config;
    const base = domain || protocol + '//{Bucket}.cos.{Region}.myqcloud.com';
    return base.replace('{Bucket}', bucket).replace('{Region}', region) + '/';
  }

  unreachableText() {
    if (!this.probe) {
      const url = this.storageUrl();
      const host = new URL(url).host;
      this.probe = fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' }).then(
        () => interpolate(gettext('COS at %(host)s answered, but not to this page: its CORS rule does not admit %(origin)s.'),
          { host, origin: window.location.origin }, true),
        () => interpolate(gettext('Storage could not be reached at %(host)s (it is down, or the network is).'),
          { host }, true)
      );
      setTimeout(() => { this.probe = null; }, 5000);
    }
    return this.probe;
  }

  signInUrl() {
    return this.loginUrl + '?' + new URLSearchParams({ next: window.location.pathname + window.location.search });
  }

  // The session ended (signed out elsewhere, or expired): the header no longer names the user.
  signedOut() {
    showSignedOut();
    this.announce(gettext('You are signed out. Sign in again to upload.'));
  }

  // ---- the file list refreshes itself as files complete, at most every two seconds ----------------------------------

  refreshSoon() {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refreshList();
    }, this.active.size ? 2000 : 100);
  }

  async refreshList() {
    await refreshObjectList(this.config.listUrl);
    if (!this.active.size && this.unfinished) this.unfinished.refresh();
  }

  // ---- remembered unfinished uploads (so a reload can say what to pick again) ---------------------------------------

  showPending() {
    for (const pending of this.pending.here()) {
      const item = this.row(pending.name, pending.size);
      item.setState('interrupted', gettext('Interrupted'));
      item.showError(interpolate(gettext('Not finished: pick %(name)s again to continue where it stopped.'),
        { name: pending.name }, true));
      item.node.classList.add('pending');
      item.node.setAttribute('data-pending-key', pending.key);
      item.buttons(false, false, false);
    }
  }

  // ---- picking and dropping files -----------------------------------------------------------------------------------

  listen() {
    const input = document.getElementById('upload-input');
    const folderInput = document.getElementById('upload-folder-input');
    const dropzone = document.getElementById('dropzone');
    for (const picker of [input, folderInput]) {
      if (!picker) continue;
      picker.addEventListener('change', () => {
        const entries = Array.from(picker.files).map((file) => entryOf(file));
        picker.value = '';
        this.addFiles(entries);
      });
    }
    ['dragenter', 'dragover'].forEach((name) => {
      dropzone.addEventListener(name, (event) => {
        event.preventDefault();
        dropzone.classList.add('dragover');
      });
    });
    ['dragleave', 'dragend'].forEach((name) => {
      dropzone.addEventListener(name, () => dropzone.classList.remove('dragover'));
    });
    dropzone.addEventListener('drop', async (event) => {
      event.preventDefault();
      dropzone.classList.remove('dragover');
      if (!event.dataTransfer) return;
      // Read the entries now: the DataTransfer is emptied once the event handler returns.
      const entries = await droppedFiles(event.dataTransfer);
      if (entries.length) this.addFiles(entries);
    });
    this.showPending();
    if (this.unfinished) this.unfinished.refresh();
  }
}
