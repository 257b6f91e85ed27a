"""Settings for C9 Tongban, read from environment variables.

Embedded defaults let a laptop run everything with no configuration: SQLite in
var/db.sqlite3 and a Redis server started by `make run` on a unix socket in var/.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=true.
Every variable is listed in README.md.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from govservice.client_ip import parse_networks
from govservice.env import env_bool, env_choice, env_int, env_list, env_str
from govservice.redis_urls import kombu_url, validate_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    # A laptop gets a random key kept in var/, so sessions survive restarts
    # without a secret ever being committed. Production must set SECRET_KEY.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", None) or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
# The address the public reaches the site at: QR codes on the documents a case produces point at its check page.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- HTTPS: one switch for a deployment behind TLS, each part overridable -------
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy, ENFORCED: scripts and styles only from our own static files (no inline script,
# handler or style attribute; docs/security.md L1). The one inline <style> is the paper print view's, which
# carries the request's nonce. Browsers post what the policy blocked to /csp-report/ (logged).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    },
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",  # Content-Security-Policy header (django-csp), enforced
    "axes",  # sign-in lockout (django-axes): failures counted per account and per client address
    "accounts",
    "standards",
    "cases",
    "helpdesk",
    "notices",
    "dashboard",  # the supervisors' dashboard: reads cases and helpdesk figures, imported by nobody
    "trust",  # district keys, signed step records, anchored chain heads, case packages
    "seed",  # demo and seed data: the load_catalogue and load_demo commands
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 400 for a NUL in the address, and for input the database refuses (instead of 500).
    "govservice.input_guard.InputGuardMiddleware",
    # Signed-in users' answers carry personal data: private, no-store.
    "govservice.private_cache.PrivateNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govservice.locale.ChoiceLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govservice.request_id.RequestIdMiddleware",
    "govservice.sessions.SessionTimeoutMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out sign-in into the lockout page or the API's error body.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "govservice.urls"
ASGI_APPLICATION = "govservice.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notices.context_processors.unread",
                "govservice.care_mode.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", None)
DATABASES: dict[str, Any]
if _database_url:
    try:
        # Persistent connections, checked before reuse: opening a PostgreSQL connection costs more
        # than a whole helpdesk click (all sync database code of a server runs in one thread).
        DATABASES = {
            "default": dj_database_url.parse(
                _database_url,
                conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
                conn_health_checks=True,
            )
        }
    except Exception as exc:  # noqa: BLE001 - dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3"))),
            "OPTIONS": {
                # Several processes (ASGI, worker, beat) share the file: WAL lets readers
                # run beside a writer, IMMEDIATE avoids lock upgrades that deadlock. The
                # servers checkpoint the log in the background (govservice/sqlite_wal.py);
                # the automatic checkpoint inside a commit is only the fallback.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;",
            },
            # Tests start real servers in other processes: the test database must be a file.
            "TEST": {"NAME": str(VAR_DIR / "test-db.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Celery's Django fix-up closes "obsolete" connections around every task, and with CONN_MAX_AGE = 0
# every connection is obsolete: a task would pay a new connection each time (25-35 ms on SQLite).
# Worker processes keep theirs this long (govservice/celery.py), checked before each task's
# first query, so a restarted database costs a reconnect, not a failed task.
WORKER_CONN_MAX_AGE = env_int("WORKER_CONN_MAX_AGE", 300, minimum=0)

# --- Redis: channel layer, Celery broker, cache ----------------------------------
# Unset means the embedded server that `make run` / `make test` start on this socket.
REDIS_URL = validate_redis_url(env_str("REDIS_URL", None) or f"unix://{VAR_DIR / 'redis.sock'}?db=0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # socket_timeout None: the layer blocks on reads for up to 5 s itself; a client
            # timeout of the same length kills idle consumers (channels_redis #422).
            "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
            "capacity": env_int("CHANNEL_CAPACITY", 1000, minimum=10),
            "expiry": 60,
            "prefix": env_str("CHANNEL_PREFIX", "c9"),
        },
    }
}

# Every WebSocket (govservice/ws_guard.py): a larger frame closes it with 1009 (uvicorn gets the
# same --ws-max-size), more messages than the token bucket allows close it with 1008.
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024, minimum=4096)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 20, minimum=1)
WS_RATE_BURST = env_int("WS_RATE_BURST", 60, minimum=1)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "c9cache",
    }
}

CELERY_BROKER_URL = kombu_url(REDIS_URL)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Long timers live in the database and are scanned by beat, never as ETA tasks,
    # so an hour is only the redelivery delay of a task whose worker vanished.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# CELERY_BEAT_SCHEDULE: each app keeps its entries in <app>/schedule.py (merged by govservice/celery.py).

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# The addresses (or networks) of the proxies in front of the servers: only a request from one of them
# has its X-Forwarded-For believed (govservice/client_ip.py). Empty: the peer's address is the client's.
TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", env_list("TRUSTED_PROXIES", []))
# Sign-in lockout (django-axes) on the login page, the admin's login and the API's token endpoint: after
# LOGIN_FAILURE_LIMIT failures within the cool-off, the account is locked, and so is the client address
# (each counted on its own), until LOGIN_COOLOFF_MINUTES after the failure that locked it. Attempts made
# while locked do not extend it. Supervisors unlock in the admin (Access attempts: delete).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "govservice.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Sessions: signed out after SESSION_IDLE_MINUTES without a request (shared kiosks at the service
# centres) and SESSION_MAX_HOURS after signing in whatever happens (govservice/sessions.py).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12, minimum=1) * 3600
# API tokens expire API_TOKEN_HOURS after they were issued; logging out and a password change revoke them.
API_TOKEN_TTL = timedelta(hours=env_int("API_TOKEN_HOURS", 24, minimum=1))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders when collectstatic has not run (laptop, tests).
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# District signing keys and anchors (trust/, docs/recognition.md). A key file per district, <code>.pem, mode 0600;
# TRUST_SIGNER names the factory of a district's signer (where a hardware module or key service can stand).
TRUST_KEY_DIR = Path(env_str("TRUST_KEY_DIR", str(VAR_DIR / "keys")))
TRUST_ANCHOR_DIR = Path(env_str("TRUST_ANCHOR_DIR", str(VAR_DIR / "anchors")))
TRUST_SIGNER = env_str("TRUST_SIGNER", "trust.keys.FileSigner")
# Create a missing key and enter it in the registry on first use (tests and demos only).
TRUST_KEYS_AUTO = env_bool("TRUST_KEYS_AUTO", False)
# Also the largest body of any non-multipart request (JSON, forms): govservice.body_limit answers 413 above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# An uploaded image (a material, a call's snapshot) with more pixels than this is refused before anything
# decodes it (govservice/uploads.py): a few KB of PNG can claim gigapixels (a decompression bomb). 64 MP is
# an 8000 × 8000 scan; a phone photo is 12 to 50 MP.
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 64_000_000, minimum=1_000_000)

# --- Email and SMS (notices) -------------------------------------------------------
# On a laptop and in the tests every email is a file in var/mail/ (notices.mail: one file per message); in
# production EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with the EMAIL_* variables below.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "notices.mail.FileEmailBackend")
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@localhost")
# SMS through a gateway class (notices.sms): one JSON line per SMS in var/sms.jsonl by default; a district
# plugs in its own platform with a dotted path (README, "Notices").
SMS_BACKEND = env_str("SMS_BACKEND", "notices.sms.FileSmsBackend")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl")))
# The sender's signature SMS platforms put first (【…】); the registered one in production.
SMS_SIGNATURE = env_str("SMS_SIGNATURE", "长三角C9通办")
# A failed email or SMS is tried again after 2, 4, 8 … seconds (at most 10 minutes), then given up and recorded.
NOTICES_MAX_ATTEMPTS = env_int("NOTICES_MAX_ATTEMPTS", 6, minimum=1, maximum=20)
NOTICES_RETRY_BASE_SECONDS = env_int("NOTICES_RETRY_BASE_SECONDS", 2, minimum=1)
# Beat's sweep queues again a delivery still pending this long after its time.
NOTICES_SWEEP_AFTER_SECONDS = env_int("NOTICES_SWEEP_AFTER_SECONDS", 60, minimum=1)

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.api.auth.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser, refusing bodies nested too deeply or holding a NUL (govservice/parsers.py);
    # body sizes are limited before any parser by govservice.body_limit (ASGI).
    "DEFAULT_PARSER_CLASSES": [
        "govservice.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "govservice.schema.AutoSchema",
    # One error contract: every error answers {"code", "detail", "fields"} (govservice/errors.py).
    "EXCEPTION_HANDLER": "govservice.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "C9 Tongban API",
    "DESCRIPTION": "长三角C9跨省通办: service item catalogue, cases and one-click remote assistance.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc served from static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models name their choices `Status`: give each enum its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "ItemVersionStatusEnum": "standards.models.ItemVersion.Status",
        "CatalogueImportStatusEnum": "standards.models.CatalogueImport.Status",
        "FollowUpStatusEnum": "cases.models.FollowUp.Status",
        "ReturnVisitMethodEnum": "cases.models.ReturnVisit.Method",
        "IdentityCheckMethodEnum": "cases.models.IdentityCheck.Method",
        "ClerkStatusEnum": "helpdesk.models.ClerkProfile.Status",
        # The same two values for a material check at the window and a pre-check in a call: one enum.
        "VerdictEnum": "cases.models.MaterialCheck.Verdict",
    },
}

# --- Logging ----------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each of its seven steps at INFO for every PDF (a receipt, a decision): noise, not news.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# --- Realtime video assistance ------------------------------------------------------
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_str("TURN_SECRET", None)
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", 600, minimum=60)
