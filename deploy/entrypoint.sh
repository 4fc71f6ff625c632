#!/bin/sh
# The portal's start-up, in the container (the image's ENTRYPOINT) and outside it (the tests run this same script):
#   1. refuse to start when the settings are incomplete: the settings' own message, without a traceback, and in
#      tencent mode `manage.py check --deploy` (secure cookies, HSTS, secrets, ...) with warnings counted as errors;
#      done first, so a misconfigured instance touches no database;
#   2. migrate the database;
#   3. collectstatic: hashed, compressed copies into STATIC_ROOT, which whitenoise serves;
#   4. exec gunicorn (deploy/gunicorn.conf.py; GUNICORN_CMD_ARGS and this script's arguments override it).
# PYTHON picks the interpreter (default: python on PATH).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-portal.settings}"

say() { echo "entrypoint: $*" >&2; }

"$PYTHON" -c '
import sys
import django
from django.core.exceptions import ImproperlyConfigured
try:
    django.setup()
except ImproperlyConfigured as exc:
    sys.exit(f"entrypoint: refusing to start: {exc}")
'
if [ "${CLOUD_BACKEND:-local}" = tencent ]; then
    say "manage.py check --deploy"
    "$PYTHON" manage.py check --deploy --fail-level WARNING || { say "refusing to start: check --deploy failed"; exit 1; }
else
    "$PYTHON" manage.py check || { say "refusing to start: check failed"; exit 1; }
fi
say "manage.py migrate"
"$PYTHON" manage.py migrate --noinput
say "manage.py collectstatic"
"$PYTHON" manage.py collectstatic --noinput --verbosity 0
say "gunicorn"
exec "$PYTHON" -m gunicorn --config deploy/gunicorn.conf.py portal.wsgi:application "$@"
