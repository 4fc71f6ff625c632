// The file list (#object-list) is re-rendered by the portal and swapped in place after uploads and file-manager
// actions; listeners live on the document, and `objects:refreshed` tells the page's modules the rows changed.
export async function refreshObjectList(url) {
  try {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok) return false;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('object-list');
    const current = document.getElementById('object-list');
    if (!fresh || !current) return false;
    current.replaceWith(document.importNode(fresh, true));
  } catch (e) {
    return false; // the list stays as it was; a reload shows the change
  }
  document.dispatchEvent(new CustomEvent('objects:refreshed'));
  return true;
}

// A thumbnail that is not really an image (or could not be fetched) falls back to the file icon.
function iconFor(img) {
  const icon = document.createElement('span');
  icon.className = 'icon-file';
  icon.setAttribute('aria-hidden', 'true');
  img.replaceWith(icon);
}

export function thumbnails() {
  document.addEventListener('error', (event) => {
    if (event.target instanceof HTMLImageElement && event.target.classList.contains('thumb')) iconFor(event.target);
  }, true);
  // A module runs after the page is parsed: a thumbnail may have failed before the listener was there.
  document.querySelectorAll('img.thumb').forEach((img) => {
    if (img.complete && img.naturalWidth === 0) iconFor(img);
  });
}
