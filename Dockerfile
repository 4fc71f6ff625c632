# syntax=docker/dockerfile:1
# The portal's image: deploy/entrypoint.sh checks the settings, migrates, collects the static files and runs gunicorn
# as an unprivileged user. `docker compose up --build` runs it with PostgreSQL, Redis and localcloud (compose.yaml).

# Browser libraries from npm, as package-lock.json pins them; only the files the pages load reach the image.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# Python packages into a virtualenv; gettext to compile the translations (when the checkout has any).
FROM python:3.11-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/venv/bin:$PATH PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt
WORKDIR /app
COPY . .
RUN if find . -name '*.po' -not -path './node_modules/*' | grep -q .; then \
      CLOUD_BACKEND=local PORTAL_VAR_DIR=/tmp/var python manage.py compilemessages --ignore node_modules; \
    fi \
 && rm -rf /tmp/var

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin portal
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    PORTAL_VAR_DIR=/data/var \
    LOCALCLOUD_DATA=/data/localcloud \
    STATIC_ROOT=/app/staticfiles
COPY --from=build /opt/venv /opt/venv
# The code belongs to root: the portal user may write only STATIC_ROOT and /data.
COPY --from=build /app /app
COPY --from=assets /src/node_modules/cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js /app/node_modules/cos-js-sdk-v5/dist/
COPY --from=assets /src/node_modules/@picocss/pico/css/pico.min.css /app/node_modules/@picocss/pico/css/
RUN mkdir -p /app/staticfiles /data/var /data/localcloud \
 && chown portal:portal /app/staticfiles /data/var /data/localcloud
USER portal
WORKDIR /app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "deploy/healthcheck.py"]
ENTRYPOINT ["deploy/entrypoint.sh"]
