// The user's own unfinished multipart uploads at COS (ListMultipartUploads on their prefix), each with Abort:
// parts sent by an upload that was never completed take space until someone aborts them.
const { gettext, interpolate } = window;

export class UnfinishedUploads {
  constructor({ cos, config, section, isActive }) {
    this.cos = cos;
    this.config = config;
    this.section = section;
    this.list = section.querySelector('#unfinished-list');
    this.empty = section.querySelector('.unfinished-empty');
    this.isActive = isActive; // (key) => true while this page is uploading that key
    section.querySelector('[data-action=refresh-unfinished]').addEventListener('click', () => this.refresh());
  }

  refresh() {
    this.cos.multipartList(
      { Bucket: this.config.bucket, Region: this.config.region, Prefix: this.config.prefix },
      (err, data) => {
        if (err) return; // the list is a convenience: without ListMultipartUploads it stays hidden
        const uploads = [].concat((data && data.Upload) || []).filter((u) => !this.isActive(u.Key));
        this.render(uploads);
      }
    );
  }

  render(uploads) {
    this.section.hidden = false;
    this.list.replaceChildren(...uploads.map((upload) => this.row(upload)));
    this.empty.hidden = uploads.length > 0;
  }

  row(upload) {
    const item = document.createElement('li');
    item.className = 'upload-item unfinished-item';
    item.setAttribute('data-key', upload.Key);
    item.setAttribute('data-upload-id', upload.UploadId);
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = upload.Key.slice(this.config.prefix.length) || upload.Key;
    const since = document.createElement('small');
    const started = new Date(upload.Initiated);
    since.textContent = Number.isNaN(started.getTime()) ? '' : ' ' + interpolate(gettext('started %(when)s'),
      { when: started.toLocaleString() }, true);
    const error = document.createElement('p');
    error.className = 'upload-error field-error';
    error.hidden = true;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'contrast outline small';
    button.textContent = gettext('Abort');
    button.setAttribute('aria-label', interpolate(gettext('Abort the unfinished upload of %(name)s'),
      { name: name.textContent }, true));
    button.addEventListener('click', () => {
      button.disabled = true;
      this.cos.multipartAbort(
        { Bucket: this.config.bucket, Region: this.config.region, Key: upload.Key, UploadId: upload.UploadId },
        (err) => {
          if (err) {
            button.disabled = false;
            error.textContent = gettext('COS did not abort it:') + ' ' + ((err.error && err.error.Code) || err.message || '');
            error.hidden = false;
            return;
          }
          item.remove();
          this.empty.hidden = this.list.children.length > 0;
        }
      );
    });
    item.append(name, since, error, button);
    return item;
  }
}
