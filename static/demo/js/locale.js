// Every page: tell the portal the browser's time zone (the tz cookie read by portal.middleware.TimezoneMiddleware),
// and switch language as soon as one is picked (the form still works with its button when scripts are off).
const COOKIE = 'tz';
const YEAR = 365 * 24 * 60 * 60;

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const current = document.cookie.split('; ').find((part) => part.startsWith(`${COOKIE}=`));
if (zone && current !== `${COOKIE}=${zone}`) {
  const secure = window.location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${COOKIE}=${zone}; Path=/; Max-Age=${YEAR}; SameSite=Lax${secure}`;
}

for (const select of document.querySelectorAll('.language-form select[name=language]')) {
  select.addEventListener('change', () => select.form.requestSubmit());
}
