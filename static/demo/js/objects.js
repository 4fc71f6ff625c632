// The objects page (/buckets/<region>/<bucket>/): thumbnails, uploads (upload.js) and the file manager
// (file_manager.js), sharing one cos-js-sdk-v5 session with the user's temporary credentials (cos_session.js).
// Strings come from Django's JavaScript catalog (/jsi18n/), loaded before this module.
import { openSession } from './cos_session.js';
import { FileManager } from './file_manager.js';
import { thumbnails } from './object_list.js';
import { UploadPage } from './upload.js';

function main() {
  thumbnails();
  const configNode = document.getElementById('upload-config');
  if (!configNode || typeof window.COS === 'undefined') return;
  const config = JSON.parse(configNode.textContent);
  const csrf = document.querySelector('[name=csrfmiddlewaretoken]');
  let uploads = null;
  const session = openSession(config, csrf ? csrf.value : '', () => uploads && uploads.signedOut());
  const form = document.getElementById('upload-form');
  if (form && config.prefix !== null && config.prefix !== undefined) {
    uploads = new UploadPage(config, form, session);
    uploads.listen();
  }
  if (document.getElementById('fm-dialog')) new FileManager(config, session).listen();
}

main();
