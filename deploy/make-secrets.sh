#!/bin/sh
# Writes the secrets compose.yaml hands to its services (one file each, under secrets/, which git and the image
# ignore); an existing file is kept, so running it again changes nothing. Usage: deploy/make-secrets.sh [DIR]
set -eu
cd "$(dirname "$0")/.."
dir="${1:-secrets}"
umask 077
mkdir -p "$dir"
# The files are bind-mounted into containers whose users differ from yours: readable by all, in a folder only
# you may enter.
chmod 700 "$dir"

random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
put() {  # put NAME VALUE
    if [ ! -s "$dir/$1" ]; then printf '%s\n' "$2" > "$dir/$1"; chmod 644 "$dir/$1"; echo "wrote $dir/$1"; fi
}

put secret_key "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
put portal_secrets_keys "$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
put db_password "$(random)"
put redis_password "$(random)"
put demo_password "$(random)"
put database_url "postgres://portal:$(cat "$dir/db_password")@db:5432/portal"
put redis_url "redis://:$(cat "$dir/redis_password")@redis:6379/0"
