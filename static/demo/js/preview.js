// The preview page: copy the share link, and say how long it has left (in the reader's own clock).
// gettext and interpolate come from Django's JavaScript catalog (/jsi18n/), loaded before this module.
const { gettext, ngettext, interpolate } = window;

function flash(button) {
  const label = button.textContent;
  button.textContent = gettext('Copied');
  setTimeout(() => { button.textContent = label; }, 1500);
}

function copyBySelection(input) {
  // Without the asynchronous clipboard (plain HTTP on another host than localhost): select and copy.
  input.focus();
  input.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

async function copy(input, button) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      flash(button);
      return;
    } catch { /* refused: fall back to the selection */ }
  }
  if (copyBySelection(input)) flash(button);
}

for (const button of document.querySelectorAll('[data-copy]')) {
  const input = document.querySelector(button.getAttribute('data-copy'));
  if (input) button.addEventListener('click', () => copy(input, button));
}

function remaining(expires, label) {
  const seconds = Math.round((expires - Date.now()) / 1000);
  if (seconds <= 0) {
    label.textContent = gettext('(expired: the link no longer works)');
    return false;
  }
  const minutes = Math.ceil(seconds / 60);
  label.textContent = minutes < 120
    ? interpolate(ngettext('(in %s minute)', '(in %s minutes)', minutes), [minutes])
    : interpolate(ngettext('(in %s hour)', '(in %s hours)', Math.round(minutes / 60)), [Math.round(minutes / 60)]);
  return true;
}

const note = document.querySelector('[data-expires]');
const label = note && note.querySelector('[data-share-left]');
if (note && label) {
  const expires = Date.parse(note.getAttribute('data-expires'));
  if (remaining(expires, label)) {
    const timer = setInterval(() => { if (!remaining(expires, label)) clearInterval(timer); }, 15000);
  }
}
