// The objects page's file manager: new folders, rename and move (copy, then delete the source), delete a folder
// with everything in it, and actions on the selected rows. What it offers follows the capabilities the portal
// derived from the user's policy (config.can and each row's data-can-* attributes); COS judges every request.
import { Dialog, Status } from './fm_dialog.js';
import { deleteKeys, folderProblem, keyProblem, listAll, moveKeys, nameProblem, under } from './fm_keys.js';
import { errorMessage } from './cos_session.js';
import { refreshObjectList } from './object_list.js';
import { Selection } from './fm_select.js';

const { gettext, ngettext, interpolate } = window;

function parentOf(prefix) {
  const trimmed = prefix.replace(/\/$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut < 0 ? '' : trimmed.slice(0, cut + 1);
}

function asFolder(path) {
  const trimmed = path.trim().replace(/^\/+/, '');
  return trimmed && !trimmed.endsWith('/') ? trimmed + '/' : trimmed;
}

export class FileManager {
  constructor(config, session) {
    this.config = config;
    this.session = session;
    this.can = config.can || {};
    this.dialog = new Dialog(document.getElementById('fm-dialog'));
    this.status = new Status(document.getElementById('fm-status'));
    this.selection = new Selection({ manager: this });
    this.busy = false;
  }

  listen() {
    document.addEventListener('click', (event) => {
      const button = event.target.closest('[data-action]');
      if (!button || button.disabled || !document.body.contains(button)) return;
      const row = button.closest('tr');
      const handlers = {
        'new-folder': () => this.newFolder(),
        rename: () => (row.dataset.prefix ? this.renameFolder(row) : this.renameFile(row)),
        move: () => (row.dataset.prefix ? this.moveFolder(row) : this.moveFile(row)),
        'delete-folder': () => this.deleteFolder(row),
        'bulk-delete': () => this.selection.deleteSelected(),
        'bulk-download': () => this.selection.downloadSelected(),
      };
      const handler = handlers[button.dataset.action];
      if (!handler) return;
      const menu = button.closest('details');
      if (menu) menu.open = false;
      this.run(handler);
    });
    // An open row menu closes when the user clicks elsewhere or presses Escape.
    document.addEventListener('click', (event) => {
      document.querySelectorAll('details.row-menu[open]').forEach((menu) => {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      document.querySelectorAll('details.row-menu[open]').forEach((menu) => {
        menu.open = false;
        menu.querySelector('summary').focus();
      });
    });
    this.selection.listen();
  }

  async run(handler) {
    if (this.busy) return;
    this.busy = true;
    this.status.clear();
    try {
      await handler();
    } catch (err) {
      this.status.show(String((err && err.message) || err), 'failed');
    } finally {
      this.busy = false;
    }
  }

  async refresh() {
    await refreshObjectList(this.config.listUrl);
  }

  writable(key) {
    return under(this.can.write, key);
  }

  // ---- folders ----------------------------------------------------------------------------------------------------

  async newFolder() {
    const folder = this.config.folder;
    const name = await this.dialog.ask({
      title: gettext('New folder'),
      text: interpolate(gettext('In %(folder)s. COS has no folders: this makes an empty object named “name/”, as the COS console does.'),
        { folder: folder || gettext('(bucket root)') }, true),
      label: gettext('Folder name'),
      value: '',
      okLabel: gettext('Create folder'),
      check: (value) => nameProblem(value) || keyProblem(folder + value + '/'),
    });
    if (name === null) return;
    const key = folder + name + '/';
    const { err } = await this.session.call('putObject', { Key: key, Body: '' });
    if (err) {
      this.status.show(interpolate(gettext('The folder %(name)s was not created: %(why)s'), { name, why: errorMessage(err) }, true), 'failed');
      return;
    }
    await this.refresh();
    this.status.show(interpolate(gettext('Folder %(name)s created.'), { name }, true), 'done');
  }

  async count(prefix) {
    this.status.show(gettext('Counting what is in the folder…'));
    this.status.progress(0, 0);
    return listAll(this.session, prefix, (n) => this.status.show(interpolate(
      ngettext('Counting… %(count)s object so far', 'Counting… %(count)s objects so far', n), { count: n }, true)));
  }

  // Delete `prefixes` (folders, everything under each) and `keys` (files), after one confirmation naming the count.
  async deleteMany({ prefixes = [], keys = [], title }) {
    const all = [...keys];
    for (const prefix of prefixes) all.push(...(await this.count(prefix)).map((o) => o.key));
    const unique = [...new Set(all)];
    this.status.node.hidden = true;
    const confirmed = await this.dialog.ask({
      title,
      text: interpolate(ngettext('%(count)s object will be deleted. This cannot be undone.',
        '%(count)s objects will be deleted. This cannot be undone.', unique.length), { count: unique.length }, true),
      okLabel: interpolate(ngettext('Delete %(count)s object', 'Delete %(count)s objects', unique.length), { count: unique.length }, true),
      danger: true,
    });
    if (!confirmed) return;
    this.status.show(gettext('Deleting…'));
    const { deleted, failed } = await deleteKeys(this.session, unique, (done, total) => {
      this.status.progress(done, total);
      this.status.show(interpolate(gettext('Deleting… %(done)s of %(total)s'), { done, total }, true));
    });
    const summary = failed.length
      ? interpolate(gettext('Deleted %(deleted)s; COS refused %(failed)s (still there).'), { deleted: deleted.length, failed: failed.length }, true)
      : interpolate(ngettext('Deleted %(count)s object.', 'Deleted %(count)s objects.', deleted.length), { count: deleted.length }, true);
    await this.refresh(); // the list first: when the status says done, the rows are gone
    this.status.details(failed.map(({ key, why }) => [key, interpolate(gettext('not deleted: %(why)s'), { why }, true), 'kept']));
    this.status.show(summary, failed.length ? 'failed' : 'done');
  }

  deleteFolder(row) {
    return this.deleteMany({
      prefixes: [row.dataset.prefix],
      title: interpolate(gettext('Delete the folder %(name)s and everything in it?'), { name: row.dataset.name }, true),
    });
  }

  // ---- rename and move --------------------------------------------------------------------------------------------

  async exists(key) {
    const { err } = await this.session.call('headObject', { Key: key });
    return !err;
  }

  async occupied(prefix) {
    const { err, data } = await this.session.call('getBucket', { Prefix: prefix, MaxKeys: 1 });
    return !err && (data.Contents || []).length > 0;
  }

  destinationProblem(key) {
    if (!this.writable(key)) {
      return interpolate(gettext('Your access policy does not let you write to %(key)s.'), { key }, true);
    }
    return keyProblem(key);
  }

  renameFile(row) {
    const from = row.dataset.key;
    const folder = from.slice(0, from.length - row.dataset.name.length);
    return this.askAndMoveFile(from, {
      title: interpolate(gettext('Rename %(name)s'), { name: row.dataset.name }, true),
      label: gettext('New name'),
      value: row.dataset.name,
      okLabel: gettext('Rename'),
      target: (value) => folder + value,
      check: (value) => nameProblem(value),
    });
  }

  moveFile(row) {
    const from = row.dataset.key;
    const name = row.dataset.name;
    return this.askAndMoveFile(from, {
      title: interpolate(gettext('Move %(name)s'), { name }, true),
      label: gettext('To the folder'),
      value: from.slice(0, from.length - name.length),
      okLabel: gettext('Move'),
      target: (value) => asFolder(value) + name,
      check: (value) => folderProblem(asFolder(value)),
    });
  }

  async askAndMoveFile(from, { target, check, ...question }) {
    const value = await this.dialog.ask({
      ...question,
      check: (v) => check(v) || (target(v) === from ? gettext('That is where it is already.') : '') || this.destinationProblem(target(v)),
    });
    if (value === null) return;
    const to = target(value);
    if (await this.exists(to)) {
      this.status.show(interpolate(gettext('%(key)s already exists: nothing was moved.'), { key: to }, true), 'failed');
      return;
    }
    await this.move([[from, to]]);
  }

  renameFolder(row) {
    const from = row.dataset.prefix;
    const parent = parentOf(from);
    return this.askAndMoveFolder(from, {
      title: interpolate(gettext('Rename the folder %(name)s'), { name: row.dataset.name }, true),
      label: gettext('New name'),
      value: row.dataset.name,
      okLabel: gettext('Rename'),
      target: (value) => parent + value + '/',
      check: (value) => nameProblem(value),
    });
  }

  moveFolder(row) {
    const from = row.dataset.prefix;
    return this.askAndMoveFolder(from, {
      title: interpolate(gettext('Move the folder %(name)s'), { name: row.dataset.name }, true),
      label: gettext('Into the folder'),
      value: parentOf(from),
      okLabel: gettext('Move'),
      target: (value) => asFolder(value) + row.dataset.name + '/',
      check: (value) => folderProblem(asFolder(value)),
    });
  }

  async askAndMoveFolder(from, { target, check, ...question }) {
    const value = await this.dialog.ask({
      ...question,
      check: (v) => {
        const to = target(v);
        if (check(v)) return check(v);
        if (to === from) return gettext('That is where it is already.');
        if (to.startsWith(from)) return gettext('A folder cannot be moved into itself.');
        return this.destinationProblem(to);
      },
    });
    if (value === null) return;
    const to = target(value);
    if (await this.occupied(to)) {
      this.status.show(interpolate(gettext('%(key)s already exists: nothing was moved.'), { key: to }, true), 'failed');
      return;
    }
    const objects = await this.count(from);
    await this.move(objects.map((o) => [o.key, to + o.key.slice(from.length)]));
  }

  async move(pairs) {
    this.status.show(interpolate(ngettext('Moving %(count)s object…', 'Moving %(count)s objects…', pairs.length), { count: pairs.length }, true));
    const result = await moveKeys(this.session, this.config, pairs, (done, total) => this.status.progress(done, total));
    const problems = result.notCopied + result.notRemoved;
    const summary = problems
      ? interpolate(gettext('Moved %(moved)s of %(total)s. Nothing was lost: what was not copied is where it was.'),
        { moved: result.moved, total: pairs.length }, true)
      : interpolate(ngettext('Moved %(count)s object.', 'Moved %(count)s objects.', result.moved), { count: result.moved }, true);
    await this.refresh();
    this.status.details(result.rows.filter((row) => row[2] !== 'done' || pairs.length <= 20));
    this.status.show(summary, problems ? 'failed' : 'done');
  }
}
