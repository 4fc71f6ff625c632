// Selecting rows of the file list (checkboxes, "select everything on this page") and what can be done with them:
// delete (DeleteMultipleObjects, folders with everything in them) and download.
//
// Bulk download builds one zip in the browser (fm_zip.js) rather than opening one link per file: browsers ask
// before a page starts many downloads (or drop them silently on phones), and a zip keeps the folder structure.
// Each file is fetched with the user's temporary credentials (GetObject); MAX_ZIP_BYTES bounds what is held in
// memory. A single selected file is downloaded through its own link instead.
import { listAll } from './fm_keys.js';
import { errorMessage } from './cos_session.js';
import { zipBlob } from './fm_zip.js';

const { gettext, ngettext, interpolate } = window;
export const MAX_ZIP_BYTES = 512 * 1024 * 1024;

export class Selection {
  constructor({ manager }) {
    this.manager = manager;
  }

  boxes() {
    return Array.from(document.querySelectorAll('#object-list input[data-select=file], #object-list input[data-select=folder]'));
  }

  chosen() {
    return this.boxes().filter((box) => box.checked).map((box) => box.closest('tr'));
  }

  listen() {
    document.addEventListener('change', (event) => {
      const box = event.target;
      if (!(box instanceof HTMLInputElement) || !box.dataset.select) return;
      if (box.dataset.select === 'all') this.boxes().forEach((other) => { other.checked = box.checked; });
      this.update();
    });
    document.addEventListener('objects:refreshed', () => this.update());
    this.update();
  }

  update() {
    const boxes = this.boxes();
    const rows = this.chosen();
    const all = document.querySelector('#object-list input[data-select=all]');
    if (all) {
      all.disabled = boxes.length === 0;
      all.checked = boxes.length > 0 && rows.length === boxes.length;
      all.indeterminate = rows.length > 0 && rows.length < boxes.length;
    }
    const deletable = rows.filter((row) => row.hasAttribute('data-can-delete'));
    const downloadable = rows.filter((row) => row.dataset.download || row.hasAttribute('data-can-read'));
    const remove = document.querySelector('[data-action=bulk-delete]');
    const download = document.querySelector('[data-action=bulk-download]');
    if (remove) remove.disabled = deletable.length === 0 || deletable.length < rows.length;
    if (download) download.disabled = downloadable.length === 0 || downloadable.length < rows.length;
    const count = document.getElementById('fm-selected');
    if (count) {
      count.textContent = rows.length
        ? interpolate(ngettext('%(count)s selected', '%(count)s selected', rows.length), { count: rows.length }, true)
        : '';
    }
  }

  deleteSelected() {
    const rows = this.chosen();
    return this.manager.deleteMany({
      keys: rows.filter((row) => row.dataset.key).map((row) => row.dataset.key),
      prefixes: rows.filter((row) => row.dataset.prefix).map((row) => row.dataset.prefix),
      title: interpolate(ngettext('Delete the %(count)s selected item?', 'Delete the %(count)s selected items?', rows.length),
        { count: rows.length }, true),
    });
  }

  async downloadSelected() {
    const rows = this.chosen();
    const { status, session, config } = this.manager;
    if (rows.length === 1 && rows[0].dataset.download) {
      window.location.assign(rows[0].dataset.download);
      return;
    }
    const files = [];
    for (const row of rows) {
      if (row.dataset.key) files.push({ key: row.dataset.key, size: Number(row.dataset.size) || 0 });
      else files.push(...(await listAll(session, row.dataset.prefix)).filter((o) => !o.key.endsWith('/')));
    }
    const total = files.reduce((sum, file) => sum + file.size, 0);
    if (total > MAX_ZIP_BYTES) {
      status.show(interpolate(gettext('%(count)s files, %(size)s MiB: more than a browser can zip (%(max)s MiB). Download them one at a time.'),
        { count: files.length, size: Math.ceil(total / 1048576), max: MAX_ZIP_BYTES / 1048576 }, true), 'failed');
      return;
    }
    const entries = [];
    const failed = [];
    let fetched = 0;
    for (const file of files) {
      status.show(interpolate(gettext('Fetching %(done)s of %(total)s files…'), { done: entries.length + 1, total: files.length }, true));
      const { err, data } = await session.call('getObject', { Key: file.key, DataType: 'arraybuffer' });
      if (err) failed.push([file.key, interpolate(gettext('left out: %(why)s'), { why: errorMessage(err) }, true), 'kept']);
      else entries.push({ name: file.key.slice(config.folder.length), bytes: new Uint8Array(data.Body) });
      fetched += file.size;
      status.progress(fetched, total);
    }
    if (!entries.length) {
      status.show(gettext('Nothing could be downloaded.'), 'failed');
      status.details(failed);
      return;
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(zipBlob(entries));
    const folderName = config.folder.replace(/\/$/, '').split('/').pop() || config.bucket;
    link.download = folderName + '.zip';
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.show(interpolate(ngettext('%(count)s file zipped and downloaded.', '%(count)s files zipped and downloaded.', entries.length),
      { count: entries.length }, true), failed.length ? 'failed' : 'done');
    status.details(failed);
  }
}
