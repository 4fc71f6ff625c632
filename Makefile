# COS Sign Portal — the two commands a newcomer needs: `make run` and `make test`.
# Both do their own set-up (virtualenv, Python and npm packages, database) on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
CHROMIUM ?= /usr/bin/chromium
# Django's debug pages for `make run`; `make run DEBUG=false` shows the portal's own error pages and serves the
# collected static files, as deployed.
DEBUG  ?= true

.PHONY: run serve collectstatic image test test-fast lint format bench soak soak-cluster install messages makemessages clean chromium wrk screenshots

install: $(VENV)/.installed node_modules/.installed messages

# Bring the catalogs up to date with the templates, the Python and the page scripts; then translate what is new.
LANGS ?= zh_Hans ja en
MESSAGES_IGNORE := --ignore='.venv/*' --ignore='node_modules/*' --ignore='staticfiles/*' --ignore='artifacts/*' \
	--ignore='var/*' --ignore='tests/*' --ignore='bench/*' --ignore='docs/*'
makemessages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --no-obsolete $(addprefix -l ,$(LANGS)) $(MESSAGES_IGNORE)
	$(BIN)/python manage.py makemessages -d djangojs --no-obsolete $(addprefix -l ,$(LANGS)) $(MESSAGES_IGNORE)

# The translations (locale/*/LC_MESSAGES/*.po) compiled to the .mo files Django reads; msgfmt is GNU gettext.
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: run 'sudo apt-get install -y gettext'"; exit 1; }
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles >/dev/null

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's chromium; install it when it is missing and we may (CI runs as root).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM): run 'sudo apt-get install -y chromium' (or set CHROMIUM=/path)"; exit 1; \
	  fi; }

# The portal on 127.0.0.1:$(PORT) with the embedded localcloud (started by runserver in local mode).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_demo --origin http://127.0.0.1:$(PORT) --origin http://localhost:$(PORT) \
		$(if $(DEMO_PASSWORD),--password="$(DEMO_PASSWORD)")
	$(if $(filter false 0 no off,$(DEBUG)),$(BIN)/python manage.py collectstatic --noinput --verbosity 0)
	DEBUG=$(DEBUG) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The portal as deployed, without a container: deploy/entrypoint.sh (check, migrate, collectstatic, gunicorn on
# $(PORT), DEBUG off). In local mode start localcloud first (`.venv/bin/python -m localcloud`).
serve: install
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) deploy/entrypoint.sh --bind 127.0.0.1:$(PORT)

# Hashed, compressed copies of the static files into STATIC_ROOT (default staticfiles/), which whitenoise serves.
collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput

# The container image (Dockerfile); `docker compose up` runs it with PostgreSQL, Redis and localcloud.
image:
	docker build -t cos-sign-portal .

# The whole suite: qcloud, localcloud (real SDKs), signer, demo and the browser tests.
# Two workers (pytest-xdist) for the machine's two cores; a test file stays on one worker (its fixtures with it).
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
test: install chromium
	CHROMIUM_PATH=$(CHROMIUM) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Everything but the browser tests, for a quick loop.
test-fast: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The load generator of the /sign benchmarks (Debian's wrk), installed like chromium.
wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else \
	    echo "wrk is missing: run 'sudo apt-get install -y wrk'"; exit 1; \
	  fi; }

bench: install wrk
	$(BIN)/python -m bench

soak: install
	$(BIN)/python -m bench.soak

# Two portal hosts on one PostgreSQL (database soak_cluster) and one Redis (db 7); host B is killed with SIGKILL
# mid-run and restarted (bench/soak_cluster.py). SOAK_ARGS="--duration 90 --clients 30" to change the run.
soak-cluster: install
	$(BIN)/python -m bench.soak_cluster $(SOAK_ARGS)

# Refresh the README's pictures: the browser tests that take screenshots save them under artifacts/ (git-ignored),
# then they are copied to docs/screenshots/, which is committed. Commit the PNGs that changed.
SCREENSHOT_TESTS := tests/browser/test_demo_journey.py tests/browser/test_demo_limits.py \
	tests/browser/test_demo_paging.py tests/browser/test_demo_upload.py \
	tests/browser/test_demo_file_manager_journey.py tests/browser/test_demo_files_folders.py \
	tests/browser/test_demo_files_move.py tests/browser/test_demo_files_select.py \
	tests/browser/test_demo_files_phone.py tests/browser/test_demo_preview.py tests/browser/test_demo_share.py \
	tests/browser/test_demo_bucket_pages.py tests/browser/test_demo_phone_pages.py
screenshots: install chromium
	rm -rf artifacts/screenshots
	CHROMIUM_PATH=$(CHROMIUM) $(BIN)/pytest -q $(SCREENSHOT_TESTS)
	mkdir -p docs/screenshots
	cp artifacts/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .mypy_cache
