// What this browser remembers about unfinished uploads: the portal's list of interrupted files (so a reload can say
// what to pick again) and cos-js-sdk-v5's own UploadId cache. Both hold file names and upload ids, so they belong
// to one person: the list is kept per user, and both are forgotten when another user signs in on this browser and
// at sign-out.
export const SDK_CACHE_KEY = 'cos_sdk_upload_cache'; // fixed inside cos-js-sdk-v5 (src/session.js)
const PENDING_PREFIX = 'cos-sign-portal:pending-uploads:';
const OWNER_KEY = 'cos-sign-portal:upload-owner';
const LEGACY_KEY = 'cos-sign-portal:pending-uploads'; // before the list was per user

function keys() {
  const found = [];
  for (let index = 0; index < localStorage.length; index += 1) found.push(localStorage.key(index));
  return found;
}

// Sign-out: nothing of anyone's uploads stays behind.
export function forgetEveryone() {
  try {
    for (const key of keys()) {
      if (key.startsWith(PENDING_PREFIX) || key === LEGACY_KEY || key === SDK_CACHE_KEY || key === OWNER_KEY) {
        localStorage.removeItem(key);
      }
    }
  } catch (e) { /* storage disabled: nothing was remembered */ }
}

// The objects page, before the SDK reads its cache: another user's memory is dropped, this user's is kept.
export function claimFor(user) {
  try {
    if (localStorage.getItem(OWNER_KEY) !== user) {
      forgetEveryone();
      localStorage.setItem(OWNER_KEY, user);
    }
  } catch (e) { /* storage disabled */ }
}

export class PendingUploads {
  constructor(user, bucket, region) {
    this.storageKey = PENDING_PREFIX + user;
    this.bucket = bucket;
    this.region = region;
  }

  all() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey)) || [];
    } catch (e) {
      return [];
    }
  }

  here() {
    return this.all().filter((p) => p.bucket === this.bucket && p.region === this.region);
  }

  write(items) {
    try {
      if (items.length) localStorage.setItem(this.storageKey, JSON.stringify(items));
      else localStorage.removeItem(this.storageKey);
    } catch (e) { /* private mode: nothing to remember */ }
  }

  others(key) {
    return this.all().filter((p) => !(p.bucket === this.bucket && p.region === this.region && p.key === key));
  }

  remember(key, file) {
    const items = this.others(key);
    items.push({ bucket: this.bucket, region: this.region, key, name: file.name, size: file.size, at: Date.now() });
    this.write(items);
  }

  forget(key) {
    this.write(this.others(key));
  }
}
