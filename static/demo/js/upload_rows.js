// One row of the upload list per file: name, state, progress, speed, time left, error and its buttons.
const { gettext, interpolate } = window;

export function humanSize(bytes) {
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
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return gettext('less than a second left');
  if (seconds < 60) return interpolate(gettext('%(seconds)s s left'), { seconds: Math.ceil(seconds) }, true);
  const minutes = Math.floor(seconds / 60);
  return interpolate(gettext('%(minutes)s min %(seconds)s s left'),
    { minutes, seconds: Math.ceil(seconds % 60) }, true);
}

export function newItem({ list, template, name, size }) {
  const node = template.content.firstElementChild.cloneNode(true);
  const parts = {
    name: node.querySelector('.upload-name'),
    state: node.querySelector('.upload-state'),
    progress: node.querySelector('.upload-progress'),
    percent: node.querySelector('.upload-percent'),
    speed: node.querySelector('.upload-speed'),
    eta: node.querySelector('.upload-eta'),
    error: node.querySelector('.upload-error'),
    signin: node.querySelector('.upload-signin'),
    pause: node.querySelector('[data-action=pause]'),
    resume: node.querySelector('[data-action=resume]'),
    cancel: node.querySelector('[data-action=cancel]'),
  };
  parts.name.textContent = name + ' (' + humanSize(size) + ')';
  parts.progress.setAttribute('aria-label', interpolate(gettext('Upload progress of %(name)s'), { name }, true));
  list.insertBefore(node, list.firstChild);
  return {
    node,
    parts,
    setState(state, label) {
      node.setAttribute('data-state', state);
      parts.state.textContent = label;
    },
    progress(info) {
      const percent = Math.floor((info.percent || 0) * 100);
      parts.progress.value = percent;
      parts.percent.textContent = percent + '%';
      parts.speed.textContent = info.speed ? humanSize(info.speed) + '/s' : '';
      const left = info.total - info.loaded;
      parts.eta.textContent = info.speed && left > 0 ? humanDuration(left / info.speed) : '';
      node.setAttribute('data-loaded', String(info.loaded || 0));
    },
    // Nothing is moving: no speed, no time left.
    still() {
      parts.speed.textContent = '';
      parts.eta.textContent = '';
    },
    showError(text) {
      parts.error.textContent = text;
      parts.error.hidden = !text;
    },
    offerSignIn(url) {
      if (!parts.signin) return;
      parts.signin.querySelector('a').href = url;
      parts.signin.hidden = false;
    },
    buttons(pause, resume, cancel) {
      parts.pause.hidden = !pause;
      parts.resume.hidden = !resume;
      parts.cancel.hidden = !cancel;
    },
  };
}
