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
(function () {
  'use strict';

  // A thumbnail that is not really an image (or could not be fetched) falls back to the file icon.
  function iconFor(img) {
    var icon = document.createElement('span');
    icon.className = 'icon-file';
    icon.setAttribute('aria-hidden', 'true');
    img.replaceWith(icon);
  }
  document.addEventListener('error', function (event) {
    if (event.target instanceof HTMLImageElement && event.target.classList.contains('thumb')) iconFor(event.target);
  }, true);

  var configNode = document.getElementById('upload-config');
  var form = document.getElementById('upload-form');
  if (!configNode || !form || typeof COS === 'undefined') return;
  var config = JSON.parse(configNode.textContent);
  if (config.prefix === null || config.prefix === undefined) return;

  var PART_SIZE = 1024 * 1024;
  var PENDING_KEY = 'cos-sign-portal:pending-uploads';
  var csrfToken = form.querySelector('[name=csrfmiddlewaretoken]').value;
  var input = document.getElementById('upload-input');
  var dropzone = document.getElementById('dropzone');
  var list = document.getElementById('upload-list');
  var template = document.getElementById('upload-item-template');
  var status = document.getElementById('upload-status');
  var lastAuthError = '';

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
        var body = result.body || {};
        if (!result.ok || !body.credentials) {
          lastAuthError = (body.message || 'The portal did not issue credentials') + ' (HTTP ' + result.status + ')';
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
        lastAuthError = 'The portal could not be reached for credentials';
        callback({});
      });
  }

  var options = {
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
  var cos = new COS(options);

  // ---- helpers --------------------------------------------------------------------------------------------------

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'];
    var value = bytes;
    var unit = -1;
    do {
      value /= 1024;
      unit += 1;
    } while (value >= 1024 && unit < units.length - 1);
    var shown = value >= 10 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
    return shown + ' ' + units[unit];
  }

  function humanDuration(seconds) {
    if (!isFinite(seconds) || seconds < 0) return '';
    if (seconds < 1) return 'less than a second left';
    if (seconds < 60) return Math.ceil(seconds) + ' s left';
    var minutes = Math.floor(seconds / 60);
    return minutes + ' min ' + Math.ceil(seconds % 60) + ' s left';
  }

  function announce(text) {
    if (status) status.textContent = text;
  }

  function typeMatches(pattern, type) {
    var escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp('^' + escaped + '$').test(type);
  }

  // Refuse before sending a byte what the policy's conditions would refuse anyway (issue 7).
  function refusal(file) {
    if (config.maxSize && file.size > config.maxSize) {
      return file.name + ' is ' + humanSize(file.size) + ': your policy allows files of at most ' +
        humanSize(config.maxSize) + '. Nothing was sent.';
    }
    var types = config.contentTypes || [];
    var type = file.type || 'application/octet-stream';
    if (types.length && !types.some(function (pattern) { return typeMatches(pattern, type); })) {
      return file.name + ' is of type ' + type + ': your policy allows only ' + types.join(', ') +
        '. Nothing was sent.';
    }
    return '';
  }

  function errorText(err) {
    if (!err) return 'The upload failed.';
    var code = (err.error && (err.error.Code || err.error.code)) || err.code || '';
    var message = (err.error && (err.error.Message || err.error.message)) || err.message || '';
    if (lastAuthError && /getAuthorization|TmpSecretId|SecurityToken|ExpiredTime/.test(message)) {
      return lastAuthError + '.';
    }
    if (code === 'AccessDenied' || err.statusCode === 403) {
      return 'COS refused the upload (AccessDenied): your access policy does not allow it. ' + (message || '');
    }
    if (!err.statusCode && !code) return 'COS could not be reached (' + (message || 'network error') + ').';
    return (code ? code + ': ' : '') + (message || 'the upload failed.');
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
    var items = readPending().filter(function (p) {
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
    var mine = readPending().filter(function (p) {
      return p.bucket === config.bucket && p.region === config.region;
    });
    mine.forEach(function (pending) {
      var item = newItem(pending.name, pending.size);
      item.setState('interrupted', 'Interrupted');
      item.showError('Not finished: pick ' + pending.name + ' again to continue where it stopped.');
      item.node.classList.add('pending');
      item.node.setAttribute('data-pending-key', pending.key);
      item.buttons(false, false, false);
    });
  }

  function dropPendingRow(key) {
    var stale = list.querySelector('[data-pending-key="' + CSS.escape(key) + '"]');
    if (stale) stale.parentNode.removeChild(stale);
  }

  // ---- one row per file -----------------------------------------------------------------------------------------

  function newItem(name, size) {
    var node = template.content.firstElementChild.cloneNode(true);
    var parts = {
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
    parts.progress.setAttribute('aria-label', 'Upload progress of ' + name);
    list.insertBefore(node, list.firstChild);
    var item = {
      node: node,
      parts: parts,
      setState: function (state, label) {
        node.setAttribute('data-state', state);
        parts.state.textContent = label;
      },
      progress: function (info) {
        var percent = Math.floor((info.percent || 0) * 100);
        parts.progress.value = percent;
        parts.percent.textContent = percent + '%';
        parts.speed.textContent = info.speed ? humanSize(info.speed) + '/s' : '';
        var left = info.total - info.loaded;
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
    var item = newItem(file.name, file.size);
    var refused = refusal(file);
    if (refused) {
      item.setState('refused', 'Refused');
      item.showError(refused);
      item.buttons(false, false, false);
      announce(refused);
      return;
    }
    var key = config.prefix + file.name;
    dropPendingRow(key);
    var multipart = file.size > PART_SIZE;
    // Shared with the SDK's task (its params are copied shallowly): the SDK writes the UploadId here, which
    // Cancel needs to abort the multipart upload.
    var uploadData = {};
    var task = { id: null, state: 'waiting' };
    item.node.setAttribute('data-key', key);
    item.setState('waiting', 'Waiting');
    item.buttons(true, false, true);
    if (multipart) rememberPending(key, file);

    item.parts.pause.addEventListener('click', function () {
      if (!task.id) return;
      cos.pauseTask(task.id);
      task.state = 'paused';
      item.setState('paused', 'Paused');
      item.parts.speed.textContent = '';
      item.parts.eta.textContent = '';
      item.buttons(false, true, true);
      item.parts.resume.focus();
      announce(file.name + ' paused');
    });
    item.parts.resume.addEventListener('click', function () {
      if (!task.id) return;
      cos.restartTask(task.id);
      task.state = 'uploading';
      item.setState('uploading', 'Uploading');
      item.buttons(true, false, true);
      item.parts.pause.focus();
      announce(file.name + ' resumed');
    });
    item.parts.cancel.addEventListener('click', function () {
      if (task.id) cos.cancelTask(task.id);
      task.state = 'canceled';
      item.setState('canceling', 'Cancelling…');
      item.buttons(false, false, false);
      abort(key, uploadData.UploadId, multipart, function (err) {
        forgetPending(key);
        if (err) {
          item.setState('error', 'Cancelled');
          item.showError('Stopped, but the unfinished upload could not be removed: ' + errorText(err));
        } else {
          item.setState('canceled', 'Cancelled');
        }
        announce(file.name + ' cancelled');
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
          if (task.state === 'waiting') item.setState('checking', 'Checking what was already sent…');
        },
        onProgress: function (info) {
          if (task.state === 'paused' || task.state === 'canceled') return;
          if (task.state !== 'uploading') {
            task.state = 'uploading';
            item.setState('uploading', info.loaded && info.percent < 1 && uploadData.PartList &&
              uploadData.PartList.some(function (p) { return p.Uploaded; }) ? 'Resuming' : 'Uploading');
          }
          item.progress(info);
        },
        onFileFinish: function (err) {
          if (task.state === 'canceled') return;
          if (err) {
            task.state = 'error';
            item.setState('error', 'Failed');
            item.showError(errorText(err));
            item.buttons(false, multipart, true);
            announce(file.name + ' failed');
            return;
          }
          task.state = 'done';
          forgetPending(key);
          item.progress({ loaded: file.size, total: file.size, percent: 1, speed: 0 });
          item.setState('done', 'Uploaded');
          item.buttons(false, false, false);
          announce(file.name + ' uploaded');
          refreshList();
        },
      },
      function () { /* onFileFinish handles the outcome */ }
    );
  }

  function abort(key, uploadId, multipart, done) {
    if (!multipart) return done(null);
    var params = { Bucket: config.bucket, Region: config.region, Key: key };
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
      var failed = data && data.errorList && data.errorList.length;
      done(failed ? { message: 'COS refused to abort ' + failed + ' upload(s)' } : null);
    });
  }

  // ---- the file list refreshes itself when a file completes --------------------------------------------------------

  // One refresh at a time; a file finishing during a refresh asks for one more, so the list ends up current.
  var refreshing = false;
  var refreshAgain = false;
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
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('object-list');
        var current = document.getElementById('object-list');
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
})();
