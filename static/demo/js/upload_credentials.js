// Temporary credentials for the page's uploads: one POST /sts without scopes, so the credential allows what the
// user's policy allows (their writable prefix) and cos-js-sdk-v5 reuses it for every request while more than 60 s
// of it remain. Requests that need credentials while one is being fetched wait for that one: a folder of 500
// files costs one /sts call per credential lifetime, not one per file.
const { gettext, interpolate } = window;

export class Credentials {
  constructor({ stsUrl, csrfToken, onSignedOut }) {
    this.stsUrl = stsUrl;
    this.csrfToken = csrfToken;
    this.onSignedOut = onSignedOut;
    this.inFlight = null;
    this.signedOut = false;
    this.lastError = '';
    this.cos = null; // set by the page once the SDK exists, to correct its clock
  }

  // cos-js-sdk-v5's getAuthorization option.
  get(options, callback) {
    if (this.signedOut) {
      callback({});
      return;
    }
    if (!this.inFlight) {
      this.inFlight = this.fetch().finally(() => { this.inFlight = null; });
    }
    this.inFlight.then(callback);
  }

  async fetch() {
    let response;
    let body = {};
    try {
      response = await fetch(this.stsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.csrfToken },
        // The policy the page was shown under (My access lets a person with several choose it).
        body: JSON.stringify({
          policy: JSON.parse(document.getElementById('upload-config')?.textContent || '{}').policy,
        }),
      });
    } catch (e) {
      this.lastError = gettext('The portal could not be reached for credentials');
      return {};
    }
    try {
      body = await response.json();
    } catch (e) { /* an HTML error page: the status says enough */ }
    if (response.status === 401 || (response.status === 403 && body.code === 'NotAuthenticated')) {
      this.signedOut = true;
      this.lastError = gettext('You are signed out');
      if (this.onSignedOut) this.onSignedOut();
      return {};
    }
    if (!response.ok || !body.credentials) {
      this.lastError = interpolate(gettext('%(message)s (HTTP %(status)s)'), {
        message: body.message || gettext('The portal did not issue credentials'),
        status: response.status,
      }, true);
      return {};
    }
    this.lastError = '';
    this.correctClock(response.headers.get('Date'));
    return {
      TmpSecretId: body.credentials.tmpSecretId,
      TmpSecretKey: body.credentials.tmpSecretKey,
      SecurityToken: body.credentials.sessionToken,
      StartTime: body.startTime,
      ExpiredTime: body.expiredTime,
    };
  }

  // A device whose clock is wrong would sign requests COS refuses as too skewed, and would think a fresh
  // credential already expired: the SDK reckons with the portal's clock instead.
  correctClock(dateHeader) {
    const server = Date.parse(dateHeader || '');
    if (!this.cos || Number.isNaN(server)) return;
    const offset = server - Date.now();
    this.cos.options.SystemClockOffset = Math.abs(offset) > 5000 ? offset : 0;
  }
}
