"""Settings for COS Sign Portal: one file, driven by the environment.

Local mode (the default) runs on SQLite, the local-memory cache and the embedded localcloud emulator, so a fresh
checkout works with no configuration. Tencent mode talks to the real Tencent Cloud and refuses to start without the
secrets that production needs.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# The one version number is pyproject.toml's; the API document and anything else that shows a version read it here.
VERSION: str = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["version"]


class _SetVariables(Mapping[str, str]):
    """The environment without the variables set to nothing: an empty value means "the default", so a `.env` copied
    from `.env.example` (every value empty) starts like no `.env` at all, instead of failing on `CLOUD_BACKEND=''`."""

    def __getitem__(self, name: str) -> str:
        value = os.environ[name]
        if value == "":
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name, value in os.environ.items() if value != "")

    def __len__(self) -> int:
        return sum(1 for value in os.environ.values() if value != "")


env = environ.Env()
env.ENVIRON = _SetVariables()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def envbool(name: str, default: bool) -> bool:
    """A boolean from the environment that fails loudly on anything but the usual spellings: a typo in a security
    switch (`SECURE_COOKIES=flase`) must stop the start, not quietly mean one or the other."""
    raw: str = env.str(name, default="")
    if raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and systemd credentials)."""
    value: str = env.str(name, default="")
    if value:
        return value
    path: str = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from exc
    return default


def _local_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret generated once into var/ for local mode, so no secret is ever hard-coded."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


CLOUD_BACKEND = env.str("CLOUD_BACKEND", default="local")
if CLOUD_BACKEND not in {"local", "tencent"}:
    raise ImproperlyConfigured(f"CLOUD_BACKEND must be 'local' or 'tencent', not {CLOUD_BACKEND!r}")
LOCAL_MODE = CLOUD_BACKEND == "local"

VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

# Off unless asked for, in local mode too (`make run` asks): a 404 is then the portal's page, as in production.
DEBUG = envbool("DEBUG", default=False)
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not LOCAL_MODE:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when CLOUD_BACKEND=tencent")
    SECRET_KEY = _local_secret(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(50))

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if LOCAL_MODE else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its runserver (which starts localcloud in local mode) wins over staticfiles' runserver.
    "portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "portal.apps.KnoxConfig",  # knox, named in the reader's language
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (no CDN; CSP is 'self')
    "corsheaders",
    "csp",
    "signer",
    "demo",
]

MIDDLEWARE = [
    # First, so that the latency of /sign and /sts covers every other middleware too.
    "signer.metrics.SignLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware: static files skip the rest (sessions, CSRF, CSP) and keep the HTTPS redirect.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the django_language cookie (the switcher), else Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.ApiInEnglishMiddleware",
    "portal.middleware.TimezoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL (PostgreSQL) for several workers or hosts.
# DATABASE_URL and REDIS_URL may carry passwords: like the other secrets, they may come from NAME_FILE.
DATABASES = {"default": env.db_url_config(envsecret("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the audit log is written; the timeout rides out short write bursts.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every worker: credential cache, single flight, throttling),
# otherwise local memory (one process).
REDIS_URL = envsecret("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "demo:regions"
LOGOUT_REDIRECT_URL = "login"

# A request that names no language gets English; the admin ships its own catalogs for all three.
LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Stored and compared in UTC; pages show the viewer's zone (the tz cookie, portal.middleware.TimezoneMiddleware).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` writes the files here; whitenoise serves them from here when DEBUG is off.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "portal.staticfiles.AppDirectoriesFinder",
    "portal.staticfiles.VendorFinder",
]
# Browser libraries come from npm (package.json) and are served as they are: no build step, nothing vendored. Only
# the files the pages load are published (pico's package alone holds 20 MB of variants the pages never use).
STATIC_VENDOR_FILES = {
    "vendor/cos-js-sdk-v5/cos-js-sdk-v5.min.js": BASE_DIR / "node_modules/cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js",
    "vendor/pico/pico.min.css": BASE_DIR / "node_modules/@picocss/pico/css/pico.min.css",
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic stores each file under a name with its content's hash, plus gzip copies; whitenoise then answers
    # them with a cache lifetime of ten years ("immutable"): a changed file gets a new name (imports between the page
    # scripts' ES modules included: portal.staticfiles.ManifestStorage).
    "staticfiles": {"BACKEND": "portal.staticfiles.ManifestStorage"},
}

# --- Cloud ---------------------------------------------------------------------------------------------------------
LOCALCLOUD_URL = env.str("LOCALCLOUD_URL", default="http://127.0.0.1:9100").rstrip("/")
# The scheme and port browsers use to reach localcloud (differs from LOCALCLOUD_URL only behind a proxy). Browsers
# address each bucket as its virtual host `<bucket>.cos.<region>.localhost` there (qcloud/endpoints.py), never as
# this URL's host: a signature then binds its bucket, and the storage origin is not the portal's.
LOCALCLOUD_PUBLIC_URL = env.str("LOCALCLOUD_PUBLIC_URL", default=LOCALCLOUD_URL).rstrip("/")
# Well-known development keys of the emulator's root account, like Azurite's devstoreaccount1: public on purpose.
LOCALCLOUD_SECRET_ID = env.str("LOCALCLOUD_SECRET_ID", default="AKIDLOCALCLOUDDEVELOPMENTKEY0000")
LOCALCLOUD_SECRET_KEY = env.str("LOCALCLOUD_SECRET_KEY", default="localclouddevelopmentsecretkey00")
LOCALCLOUD_APPID = env.str("LOCALCLOUD_APPID", default="1250000000")
LOCALCLOUD_DATA = Path(env.str("LOCALCLOUD_DATA", default=str(VAR_DIR / "localcloud")))

STS_ENDPOINT = env.str("STS_ENDPOINT", default="sts.tencentcloudapi.com")
STS_TIMEOUT = env.float("STS_TIMEOUT", default=5.0)

# MultiFernet keys for CloudAccount secrets: the first encrypts, all decrypt (rotate by prepending a new key).
PORTAL_SECRETS_KEYS = [k.strip() for k in envsecret("PORTAL_SECRETS_KEYS").split(",") if k.strip()]
if not PORTAL_SECRETS_KEYS and LOCAL_MODE:

    def _new_fernet_key() -> str:
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()

    PORTAL_SECRETS_KEYS = [_local_secret(VAR_DIR / "secrets_key", _new_fernet_key)]

# --- Signer --------------------------------------------------------------------------------------------------------
SIGNER_ANONYMOUS_POLICY = env.str("SIGNER_ANONYMOUS_POLICY", default="")
# Answers of /sign and /sts per user: most come from the credential cache and cost little. New STS calls (a cache
# miss) are what Tencent's quota counts: SIGNER_STS_RATE per user.
SIGNER_RATE = env.str("SIGNER_RATE", default="300/min")
SIGNER_STS_RATE = env.str("SIGNER_STS_RATE", default="30/min")
SIGNER_ANON_RATE = env.str("SIGNER_ANON_RATE", default="30/min")
SIGNER_LOGIN_RATE = env.str("SIGNER_LOGIN_RATE", default="10/min")
SIGNER_CORS_ORIGINS = env.list("SIGNER_CORS_ORIGINS", default=[])
SIGNER_TOKEN_TTL_HOURS = env.int("SIGNER_TOKEN_TTL_HOURS", default=24 * 7)
# API tokens one person may have at once (knox's TOKEN_LIMIT_PER_USER; the My access page and /api/auth/login).
SIGNER_TOKEN_LIMIT_PER_USER = env.int("SIGNER_TOKEN_LIMIT_PER_USER", default=10)
# ID tokens of registered identity providers (signer/identity/): how old a token may be, how long a JWKS is kept,
# and how often an unknown `kid` may make us fetch the issuer's keys again.
SIGNER_ID_TOKEN_MAX_AGE = env.int("SIGNER_ID_TOKEN_MAX_AGE", default=3600)
SIGNER_OIDC_JWKS_TTL = env.int("SIGNER_OIDC_JWKS_TTL", default=3600)
SIGNER_OIDC_REFETCH_INTERVAL = env.int("SIGNER_OIDC_REFETCH_INTERVAL", default=60)
# Largest JSON body /sign, /sts and the auth endpoints accept.
SIGNER_MAX_BODY = env.int("SIGNER_MAX_BODY", default=16 * 1024)
# How the audit row of each delivery is written (signer/audit.py): "outbox" (a Redis list, written to the database
# in batches by every worker's drainer; needs the Redis cache) or "database" (one INSERT in the request).
SIGNER_AUDIT = env.str("SIGNER_AUDIT", default="outbox" if REDIS_URL else "database")
# Seconds between a worker's drains of the outbox; 0: no drainer thread (manage.py drain_audit only).
SIGNER_AUDIT_DRAIN_INTERVAL = env.float("SIGNER_AUDIT_DRAIN_INTERVAL", default=0.5)
# Refusals (failed sign-ins, rejected tokens, scopes refused, policy-less users, throttled callers) audited per kind
# and client address at most at this rate (signer/refusals.py); the metric portal_refusals_total counts them all.
SIGNER_REFUSAL_AUDIT_RATE = env.str("SIGNER_REFUSAL_AUDIT_RATE", default="30/min")

# --- Metrics (signer/metrics.py) -----------------------------------------------------------------------------------
# /metrics answers scrapers from these networks (through NUM_PROXIES), or anyone with `Authorization: Bearer <token>`.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = envsecret("METRICS_TOKEN")
# The account's STS quota in calls per second, exported as a gauge next to the calls (Tencent Cloud's default: 600).
METRICS_STS_QUOTA = env.int("METRICS_STS_QUOTA", default=600)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Demo pages (demo/) --------------------------------------------------------------------------------------------
# The longest share link the preview page makes; the user's temporary credentials may end it sooner (demo/share.py).
DEMO_SHARE_MAX_SECONDS = env.int("DEMO_SHARE_MAX_SECONDS", default=7 * 24 * 3600)

# --- Single sign-on for the portal's pages (portal/sso.py, mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = envsecret("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
# The claim that is the portal user name (exactly); new names become users only with OIDC_CREATE_USER.
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_CREATE_USER = envbool("OIDC_CREATE_USER", default=False)
# Staff may then sign in only through SSO (the portal's and the admin's password forms refuse them).
OIDC_REQUIRED_FOR_STAFF = envbool("OIDC_REQUIRED_FOR_STAFF", default=False)
# What the sign-in button says: "Sign in with <name>".
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="SSO")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
if OIDC_RP_CLIENT_ID and not all(
    (OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT)
):
    raise ImproperlyConfigured("OIDC_RP_CLIENT_ID needs the four OIDC_OP_*_ENDPOINT settings too")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "portal.sso.PortalOidcBackend"]

REST_FRAMEWORK = {
    # Token first, so a failed or missing token answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signer.tokens.TrackedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "sign": SIGNER_RATE,
        "sign_anon": SIGNER_ANON_RATE,
        "login": SIGNER_LOGIN_RATE,
    },
    "EXCEPTION_HANDLER": "signer.exception_handlers.exception_handler",
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

REST_KNOX = {
    "TOKEN_TTL": __import__("datetime").timedelta(hours=SIGNER_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": SIGNER_TOKEN_LIMIT_PER_USER,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "COS Sign Portal API",
    "DESCRIPTION": "Temporary Tencent Cloud credentials for signed-in users, limited by their policies.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CORS_ALLOWED_ORIGINS = SIGNER_CORS_ORIGINS
CORS_URLS_REGEX = r"^/(sign|sts|api/auth/.*)$"

# --- Security ------------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", default=not LOCAL_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=not LOCAL_MODE)
# The container's health check asks over plain HTTP, from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOCAL_MODE else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_MODE
SECURE_HSTS_PRELOAD = not LOCAL_MODE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _local_bucket_origins(public_url: str) -> list[str]:
    """`http://*.localhost:<port>`: every bucket's virtual host at localcloud (qcloud.endpoints.local_origin_source;
    settings may not import qcloud)."""
    parts = urlsplit(public_url)
    scheme = parts.scheme or "http"
    port = f":{parts.port}" if parts.port and parts.port != (443 if scheme == "https" else 80) else ""
    return [f"{scheme}://*.localhost{port}"]


# The browser talks to COS directly: local mode to localcloud's bucket hosts, tencent mode to *.myqcloud.com.
_COS_ORIGINS = _local_bucket_origins(LOCALCLOUD_PUBLIC_URL) if LOCAL_MODE else ["https://*.myqcloud.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_COS_ORIGINS],
        "connect-src": ["'self'", *_COS_ORIGINS],
        # The preview page: audio, video and PDF come from COS (through a redirect from the portal). Active content
        # (HTML, SVG, XML, JavaScript) is never served inline from there (COS answers it as an attachment).
        "media-src": ["'self'", "blob:", *_COS_ORIGINS],
        "frame-src": ["'self'", *_COS_ORIGINS],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Logging: never a secret; see signer.logging for the filter that redacts anything that looks like one. ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "signer.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
