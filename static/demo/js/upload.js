// The objects page: browser-direct uploads to COS with cos-js-sdk-v5 and temporary credentials from /sts.
//
// - Credentials: the SDK calls getAuthorization with the Scope of each request (action, bucket, region, key);
//   we POST it to /sts with the session cookie and the CSRF token, so every credential is the least privilege
//   for its request (ScopeLimit: the SDK caches one credential per scope).
// - Pause / Resume: pauseTask / restartTask. Cancel: cancelTask, then abortUploadTask(Level 'task', UploadId),
//   so no multipart upload is left behind at COS.
// - Resume after a reload: pick the same file again. The key is the same (prefix + file name), so the SDK finds
//   the unfinished upload with ListMultipartUploads (and its own localStorage cache), checks the parts already
//   sent with ListParts (ETag = MD5 of each part) and sends only the missing ones.
// Strings come from Django's JavaScript catalog (/jsi18n/), loaded before this module.
const { gettext, ngettext, interpolate } = window;

function main() {
  // A thumbnail that is not really an image (or could not be fetched) falls back to the file icon.
  function iconFor(img) {
    const icon = document.createElement('span');
    icon.className = 'icon-file';
    icon.setAttribute('aria-hidden', 'true');
    img.replaceWith(icon);
  }
  document.addEventListener('error', function (event) {
    if (event.target instanceof HTMLImageElement && event.target.classList.contains('thumb')) iconFor(event.target);
  }, true);
  // A module runs after the page is parsed: a thumbnail may have failed before the listener was there.
  document.querySelectorAll('img.thumb').forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) iconFor(img);
  });

  const configNode = document.getElementById('upload-config');
  const form = document.getElementById('upload-form');
  if (!configNode || !form || typeof COS === 'undefined') return;
  const config = JSON.parse(configNode.textContent);
  if (config.prefix === null || config.prefix === undefined) return;

  const PART_SIZE = 1024 * 1024;
  const PENDING_KEY = 'cos-sign-portal:pending-uploads';
  const csrfToken = form.querySelector('[name=csrfmiddlewaretoken]').value;
  const input = document.getElementById('upload-input');
  const dropzone = document.getElementById('dropzone');
  const list = document.getElementById('upload-list');
  const template = document.getElementById('upload-item-template');
  const status = document.getElementById('upload-status');
  let lastAuthError = '';

  // ---- credentials ----------------------------------------------------------------------------------------------

  function getAuthorization(options, callback) {
    fetch(config.stsUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken },
      body: JSON.stringify({ scopes: options.Scope || [] }),
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { ok: response.ok, status: response.status, body: body }; },
          function () { return { ok: false, status: response.status, body: {} }; }
        );
      })
      .then(function (result) {
        const body = result.body || {};
        if (!result.ok || !body.credentials) {
          lastAuthError = interpolate(gettext('%(message)s (HTTP %(status)s)'), {
            message: body.message || gettext('The portal did not issue credentials'),
            status: result.status,
          }, true);
          callback({});
          return;
        }
        lastAuthError = '';
        callback({
          TmpSecretId: body.credentials.tmpSecretId,
          TmpSecretKey: body.credentials.tmpSecretKey,
          SecurityToken: body.credentials.sessionToken,
          StartTime: body.startTime,
          ExpiredTime: body.expiredTime,
          ScopeLimit: true,
        });
      })
      .catch(function () {
        lastAuthError = gettext('The portal could not be reached for credentials');
        callback({});
      });
  }

  const options = {
    getAuthorization: getAuthorization,
    Protocol: config.protocol,
    ChunkSize: PART_SIZE,
    SliceSize: PART_SIZE,
    ChunkParallelLimit: 3,
    FileParallelLimit: 3,
    ProgressInterval: 250,
  };
  if (config.domain) {
    options.Domain = config.domain;
    options.AutoSwitchHost = false;
  }
  const cos = new COS(options);

  // ---- helpers --------------------------------------------------------------------------------------------------

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = -1;
    do {
      value /= 1024;
      unit += 1;
    } while (value >= 1024 && unit < units.length - 1);
    const shown = value >= 10 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
    return shown + ' ' + units[unit];
  }

  function humanDuration(seconds) {
    if (!isFinite(seconds) || seconds < 0) return '';
    if (seconds < 1) return gettext('less than a second left');
    if (seconds < 60) return interpolate(gettext('%(seconds)s s left'), { seconds: Math.ceil(seconds) }, true);
    const minutes = Math.floor(seconds / 60);
    return interpolate(gettext('%(minutes)s min %(seconds)s s left'),
      { minutes: minutes, seconds: Math.ceil(seconds % 60) }, true);
  }

  function announce(text) {
    if (status) status.textContent = text;
  }

  function typeMatches(pattern, type) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp('^' + escaped + '$').test(type);
  }

  // Refuse before sending a byte what the policy's conditions would refuse anyway.
  function refusal(file) {
    if (config.maxSize && file.size > config.maxSize) {
      return interpolate(gettext('%(name)s is %(size)s: your policy allows files of at most %(limit)s. Nothing was sent.'),
        { name: file.name, size: humanSize(file.size), limit: humanSize(config.maxSize) }, true);
    }
    const types = config.contentTypes || [];
    const type = file.type || 'application/octet-stream';
    if (types.length && !types.some(function (pattern) { return typeMatches(pattern, type); })) {
      return interpolate(gettext('%(name)s is of type %(type)s: your policy allows only %(types)s. Nothing was sent.'),
        { name: file.name, type: type, types: types.join(', ') }, true);
    }
    return '';
  }

  function errorText(err) {
    if (!err) return gettext('The upload failed.');
    const code = (err.error && (err.error.Code || err.error.code)) || err.code || '';
    const message = (err.error && (err.error.Message || err.error.message)) || err.message || '';
    if (lastAuthError && /getAuthorization|TmpSecretId|SecurityToken|ExpiredTime/.test(message)) {
      return lastAuthError + '.';
    }
    if (code === 'AccessDenied' || err.statusCode === 403) {
      return gettext('COS refused the upload (AccessDenied): your access policy does not allow it.') + ' ' + (message || '');
    }
    if (!err.statusCode && !code) {
      return interpolate(gettext('COS could not be reached (%(reason)s).'),
        { reason: message || gettext('network error') }, true);
    }
    return (code ? code + ': ' : '') + (message || gettext('the upload failed.'));
  }

  // ---- remembered unfinished uploads (so a reload can say what to pick again) ----------------------------------

  function readPending() {
    try {
      return JSON.parse(localStorage.getItem(PENDING_KEY)) || [];
    } catch (e) {
      return [];
    }
  }

  function writePending(items) {
    try {
      if (items.length) localStorage.setItem(PENDING_KEY, JSON.stringify(items));
      else localStorage.removeItem(PENDING_KEY);
    } catch (e) { /* private mode: nothing to remember */ }
  }

  function rememberPending(key, file) {
    const items = readPending().filter(function (p) {
      return !(p.bucket === config.bucket && p.region === config.region && p.key === key);
    });
    items.push({ bucket: config.bucket, region: config.region, key: key, name: file.name, size: file.size,
                 at: Date.now() });
    writePending(items);
  }

  function forgetPending(key) {
    writePending(readPending().filter(function (p) {
      return !(p.bucket === config.bucket && p.region === config.region && p.key === key);
    }));
  }

  function showPending() {
    const mine = readPending().filter(function (p) {
      return p.bucket === config.bucket && p.region === config.region;
    });
    mine.forEach(function (pending) {
      const item = newItem(pending.name, pending.size);
      item.setState('interrupted', gettext('Interrupted'));
      item.showError(interpolate(gettext('Not finished: pick %(name)s again to continue where it stopped.'),
        { name: pending.name }, true));
      item.node.classList.add('pending');
      item.node.setAttribute('data-pending-key', pending.key);
      item.buttons(false, false, false);
    });
  }

  function dropPendingRow(key) {
    const stale = list.querySelector('[data-pending-key="' + CSS.escape(key) + '"]');
    if (stale) stale.parentNode.removeChild(stale);
  }

  // ---- one row per file -----------------------------------------------------------------------------------------

  function newItem(name, size) {
    const node = template.content.firstElementChild.cloneNode(true);
    const parts = {
      name: node.querySelector('.upload-name'),
      state: node.querySelector('.upload-state'),
      progress: node.querySelector('.upload-progress'),
      percent: node.querySelector('.upload-percent'),
      speed: node.querySelector('.upload-speed'),
      eta: node.querySelector('.upload-eta'),
      error: node.querySelector('.upload-error'),
      pause: node.querySelector('[data-action=pause]'),
      resume: node.querySelector('[data-action=resume]'),
      cancel: node.querySelector('[data-action=cancel]'),
    };
    parts.name.textContent = name + ' (' + humanSize(size) + ')';
    parts.progress.setAttribute('aria-label', interpolate(gettext('Upload progress of %(name)s'), { name: name }, true));
    list.insertBefore(node, list.firstChild);
    const item = {
      node: node,
      parts: parts,
      setState: function (state, label) {
        node.setAttribute('data-state', state);
        parts.state.textContent = label;
      },
      progress: function (info) {
        const percent = Math.floor((info.percent || 0) * 100);
        parts.progress.value = percent;
        parts.percent.textContent = percent + '%';
        parts.speed.textContent = info.speed ? humanSize(info.speed) + '/s' : '';
        const left = info.total - info.loaded;
        parts.eta.textContent = info.speed && left > 0 ? humanDuration(left / info.speed) : '';
        node.setAttribute('data-loaded', String(info.loaded || 0));
      },
      showError: function (text) {
        parts.error.textContent = text;
        parts.error.hidden = !text;
      },
      buttons: function (pause, resume, cancel) {
        parts.pause.hidden = !pause;
        parts.resume.hidden = !resume;
        parts.cancel.hidden = !cancel;
      },
    };
    return item;
  }

  function upload(file) {
    const item = newItem(file.name, file.size);
    const refused = refusal(file);
    if (refused) {
      item.setState('refused', gettext('Refused'));
      item.showError(refused);
      item.buttons(false, false, false);
      announce(refused);
      return;
    }
    const key = config.prefix + file.name;
    dropPendingRow(key);
    const multipart = file.size > PART_SIZE;
    // Shared with the SDK's task (its params are copied shallowly): the SDK writes the UploadId here, which
    // Cancel needs to abort the multipart upload.
    const uploadData = {};
    const task = { id: null, state: 'waiting' };
    item.node.setAttribute('data-key', key);
    item.setState('waiting', gettext('Waiting'));
    item.buttons(true, false, true);
    if (multipart) rememberPending(key, file);

    item.parts.pause.addEventListener('click', function () {
      if (!task.id) return;
      cos.pauseTask(task.id);
      task.state = 'paused';
      item.setState('paused', gettext('Paused'));
      item.parts.speed.textContent = '';
      item.parts.eta.textContent = '';
      item.buttons(false, true, true);
      item.parts.resume.focus();
      announce(interpolate(gettext('%(name)s paused'), { name: file.name }, true));
    });
    item.parts.resume.addEventListener('click', function () {
      if (!task.id) return;
      cos.restartTask(task.id);
      task.state = 'uploading';
      item.setState('uploading', gettext('Uploading'));
      item.buttons(true, false, true);
      item.parts.pause.focus();
      announce(interpolate(gettext('%(name)s resumed'), { name: file.name }, true));
    });
    item.parts.cancel.addEventListener('click', function () {
      if (task.id) cos.cancelTask(task.id);
      task.state = 'canceled';
      item.setState('canceling', gettext('Cancelling…'));
      item.buttons(false, false, false);
      abort(key, uploadData.UploadId, multipart, function (err) {
        forgetPending(key);
        if (err) {
          item.setState('error', gettext('Cancelled'));
          item.showError(gettext('Stopped, but the unfinished upload could not be removed:') + ' ' + errorText(err));
        } else {
          item.setState('canceled', gettext('Cancelled'));
        }
        announce(interpolate(gettext('%(name)s cancelled'), { name: file.name }, true));
      });
    });

    cos.uploadFile(
      {
        Bucket: config.bucket,
        Region: config.region,
        Key: key,
        Body: file,
        SliceSize: PART_SIZE,
        ChunkSize: PART_SIZE,
        ContentType: file.type || 'application/octet-stream',
        UploadData: uploadData,
        onTaskReady: function (id) {
          task.id = id;
        },
        onHashProgress: function () {
          if (task.state === 'waiting') item.setState('checking', gettext('Checking what was already sent…'));
        },
        onProgress: function (info) {
          if (task.state === 'paused' || task.state === 'canceled') return;
          if (task.state !== 'uploading') {
            task.state = 'uploading';
            item.setState('uploading', info.loaded && info.percent < 1 && uploadData.PartList &&
              uploadData.PartList.some(function (p) { return p.Uploaded; }) ? gettext('Resuming') : gettext('Uploading'));
          }
          item.progress(info);
        },
        onFileFinish: function (err) {
          if (task.state === 'canceled') return;
          if (err) {
            task.state = 'error';
            item.setState('error', gettext('Failed'));
            item.showError(errorText(err));
            item.buttons(false, multipart, true);
            announce(interpolate(gettext('%(name)s failed'), { name: file.name }, true));
            return;
          }
          task.state = 'done';
          forgetPending(key);
          item.progress({ loaded: file.size, total: file.size, percent: 1, speed: 0 });
          item.setState('done', gettext('Uploaded'));
          item.buttons(false, false, false);
          announce(interpolate(gettext('%(name)s uploaded'), { name: file.name }, true));
          refreshList();
        },
      },
      function () { /* onFileFinish handles the outcome */ }
    );
  }

  function abort(key, uploadId, multipart, done) {
    if (!multipart) return done(null);
    const params = { Bucket: config.bucket, Region: config.region, Key: key };
    if (uploadId) {
      params.Level = 'task';
      params.UploadId = uploadId;
    } else {
      // Cancelled before the SDK knew its UploadId (e.g. while checking a resumed upload): remove every
      // unfinished upload of this key, which is this user's own key under their prefix.
      params.Level = 'file';
    }
    cos.abortUploadTask(params, function (err, data) {
      if (err) return done(err);
      const failed = data && data.errorList && data.errorList.length;
      const refusedText = ngettext('COS refused to abort %(count)s upload', 'COS refused to abort %(count)s uploads', failed);
      done(failed ? { message: interpolate(refusedText, { count: failed }, true) } : null);
    });
  }

  // ---- the file list refreshes itself when a file completes --------------------------------------------------------

  // One refresh at a time; a file finishing during a refresh asks for one more, so the list ends up current.
  let refreshing = false;
  let refreshAgain = false;
  function refreshList() {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    fetch(config.listUrl, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('object-list');
        const current = document.getElementById('object-list');
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () { /* the list stays as it was; a reload shows the new file */ })
      .then(function () {
        refreshing = false;
        if (refreshAgain) {
          refreshAgain = false;
          refreshList();
        }
      });
  }

  // ---- picking and dropping files ----------------------------------------------------------------------------------

  function addFiles(files) {
    Array.prototype.forEach.call(files, upload);
  }

  input.addEventListener('change', function () {
    addFiles(input.files);
    input.value = '';
  });
  ['dragenter', 'dragover'].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add('dragover');
    });
  });
  ['dragleave', 'dragend'].forEach(function (name) {
    dropzone.addEventListener(name, function () {
      dropzone.classList.remove('dragover');
    });
  });
  dropzone.addEventListener('drop', function (event) {
    event.preventDefault();
    dropzone.classList.remove('dragover');
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });
  showPending();
}

main();
