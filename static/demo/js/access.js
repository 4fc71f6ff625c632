// "My access": copy buttons for the new token and the curl examples.
// gettext comes from Django's JavaScript catalog (/jsi18n/), loaded before this module.
const { gettext } = window;

function flash(button) {
  const label = button.textContent;
  button.textContent = gettext('Copied');
  setTimeout(() => { button.textContent = label; }, 1500);
}

async function copy(text, button) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      flash(button);
    } catch { /* refused: the text stays selectable */ }
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  document.body.appendChild(area);
  area.select();
  try {
    document.execCommand('copy');
    flash(button);
  } catch { /* the text stays selectable */ }
  area.remove();
}

for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', () => {
    const target = document.querySelector(button.getAttribute('data-copy'));
    if (!target) return;
    copy(target.tagName === 'INPUT' ? target.value : target.textContent, button);
  });
}
