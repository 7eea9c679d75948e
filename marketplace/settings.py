"""One settings module, driven by environment variables.

Every variable is listed in the README. The defaults serve a developer on SQLite with no other service;
production turns on PostgreSQL, Redis, secure cookies and HSTS through the environment.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG=1"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "django_htmx",
    "csp",
    # Our apps, in layer order: an app imports only apps above it.
    "core",
    "audit",
    "jobs",  # work after the request: the outbox rows, the Celery tasks that run them, the sweeper
    "notifications",
    "accounts",
    "producers",
    "compliance",
    "prices",  # fixes, rates, certified minimums: below listings, whose search and offers read them
    "provenance",
    "diligence",  # red flags: between provenance and listings (listings hides what a flag suspends)
    "listings",
    "payments",  # the Stripe boundary: imports only core (docs/architecture.md), used by trade
    "trade",
    "settlement",  # statements and recorded bank payments of signed contracts
    "reports",  # the network's public impact report: reads every app above, imported by none
    "webhooks",  # signed outbound events read from the audit chain: above every domain app
    "console",  # the server-rendered pages for people: calls the services and selectors above, no rule of its own
    "openapi",
    "marketplace",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.http.PrivateResponsesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files are compressed ahead of time), above every middleware that writes a body.
    "core.http.CompressionMiddleware",
    # Below compression: the ETag is a hash of the uncompressed body; below PrivateResponses: a private answer
    # keeps its ETag and its 304, then is marked no-store.
    "core.http.ConditionalReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "console.middleware.SpanishFirstMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.http.ApiProblemPagesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL for PostgreSQL -----------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parallel workers per query (PostgreSQL's default is 2). With many requests at once on few cores they cost
    # more than they give: on the benchmark's two cores, 0 served 1.5 times the uncached searches at 100,000
    # listings (bench/README.md). Raise it for a database server with idle cores. PGOPTIONS still applies first.
    _workers = env_int("DATABASE_PARALLEL_WORKERS", 0)
    if _workers < 0:  # PostgreSQL would refuse every connection, and every request would be a 503
        raise ImproperlyConfigured("DATABASE_PARALLEL_WORKERS must be 0 or more.")
    _parallel = f"-c max_parallel_workers_per_gather={_workers}"
    # PostgreSQL's JIT compiles a plan whose estimated cost passes `jit_above_cost`: the uncached search at
    # 100,000 listings crossed it and spent about 40 ms of its 160 compiling, on every request (bench/README.md).
    # Off unless asked: the app's queries are short, and none runs long enough to win the compilation back.
    _jit = "" if env_bool("DATABASE_JIT", False) else "-c jit=off"
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
        part for part in (os.environ.get("PGOPTIONS", ""), _parallel, _jit) if part
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (runserver, the concurrency tests) write to one file at once. SQLite has one writer at a
    # time; lock contention is waiting, not an outage:
    # - IMMEDIATE: a transaction takes the write lock when it begins, waiting up to `timeout` for it. The
    #   default (DEFERRED) reads first and asks for the lock at its first write, which SQLite refuses at once
    #   ("database is locked", no wait) when another writer got there meanwhile.
    # - WAL: readers never wait for the writer, nor the writer for readers; synchronous=NORMAL is durable
    #   across an application crash (a power cut may lose the last commits, never corrupt the file).
    # - foreign_keys is on already (Django sets it on every connection).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests get a file of their own (one per process, so parallel runs never share one), not the in-memory
    # database Django would make: its shared cache answers "table is locked" to a second writer at once,
    # without waiting, and the tests of concurrent writers run real threads.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"oro-responsable-test-{os.getpid()}.sqlite3")
    }

# --- Jobs: work after the request, on Celery with Redis as the broker (docs/jobs.md) -------------
# Without a broker (a developer's `make run`, the tests) each job runs in the process that asked for it, right
# after the commit; with one, a worker runs it (`celery -A marketplace worker`) and beat keeps the schedule below
# (`celery -A marketplace beat`). Defaults to REDIS_URL's server, the database after the cache's (1 for 0).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if not CELERY_BROKER_URL and os.environ.get("REDIS_URL"):
    from urllib.parse import urlsplit, urlunsplit

    _redis = urlsplit(os.environ["REDIS_URL"])
    _cache_db = int(_redis.path.strip("/") or 0)
    CELERY_BROKER_URL = urlunsplit(_redis._replace(path=f"/{(_cache_db + 1) % 16}"))
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves its message to be delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds one message at a time: the others stay for other workers
CELERY_TASK_IGNORE_RESULT = True  # the outcome is in the job's row, not in a result backend
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "oro")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False  # acks_late: redelivered, never cancelled
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged message comes back after this long; the sweeper usually sends it sooner (a job's lease).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# After a commit, a broker that does not answer costs the request one short retry, not seconds: the job's row is
# committed already, and the sweeper sends it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "America/Lima"
CELERY_ENABLE_UTC = True
# A pending, due job whose message went out this long ago and that no worker took is sent again (a broker that
# restarted without its messages); a second message is harmless (one attempt claims the job).
JOBS_RESEND_AFTER = timedelta(seconds=env_int("JOBS_RESEND_SECONDS", 300))
JOBS_KEEP = timedelta(days=env_int("JOBS_KEEP_DAYS", 30))  # done jobs are deleted after this (failed: twice)
# Multiplies every job's retry delays and lease alike: 1 in production; the drills run at 0.05 (a 30 s first retry
# in 1.5 s, a 10-minute lease in 30 s) so that a fault and its recovery fit in a minute.
JOBS_TIME_SCALE = float(os.environ.get("JOBS_TIME_SCALE", "1") or "1")
if JOBS_TIME_SCALE <= 0:
    raise ImproperlyConfigured("JOBS_TIME_SCALE must be more than 0.")


def _periodic(job: str, *, minute: str, hour: str = "*") -> dict[str, object]:
    from celery.schedules import crontab

    return {"task": "jobs.periodic", "schedule": crontab(minute=minute, hour=hour), "args": (job,)}


# Celery beat's schedule, in Lima time; each entry asks for a job, once per minute it is due (jobs.periodic). The
# management commands doing the same work stay for operators.
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "jobs.sweep", "schedule": timedelta(seconds=env_int("JOBS_SWEEP_SECONDS", 30))},
    "apply-validity-deadlines": _periodic("compliance.apply_validity_deadlines", hour="0", minute="5"),
    "refresh-search-index-due": _periodic("listings.refresh_search_index_due", hour="0", minute="15"),
    "send-trade-notices": _periodic("trade.send_trade_notices", hour="0", minute="30"),
    "check-standings": _periodic("compliance.check_standings", hour="2", minute="0"),
    "check-search-index": _periodic("listings.check_search_index", hour="2", minute="30"),
    "prune-jobs": _periodic("jobs.prune", hour="3", minute="0"),
    "prune-idempotency-keys": _periodic("jobs.prune_idempotency_keys", hour="*", minute="40"),
    "send-compliance-reminders": _periodic("compliance.send_reminders", hour="7", minute="0"),
    "reconcile-deposits": _periodic("trade.reconcile_deposits", minute="*/5"),
    "dispatch-webhooks": {
        "task": "webhooks.dispatch",
        "schedule": timedelta(seconds=env_int("WEBHOOKS_DISPATCH_SECONDS", 5)),
    },
}

# --- Webhooks (docs/webhooks.md) -----------------------------------------------------------------
# http:// endpoints only for development; never with DEBUG off.
WEBHOOKS_ALLOW_HTTP = DEBUG and env_bool("WEBHOOKS_ALLOW_HTTP", False)
# Endpoints on loopback, private, link-local or reserved addresses (a local receiver in development and tests).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
# An endpoint with no delivery accepted for this many days since its first failure is disabled.
WEBHOOKS_DISABLE_AFTER_DAYS = env_int("WEBHOOKS_DISABLE_AFTER_DAYS", 3)

# --- Cache (throttles, readiness): Redis when REDIS_URL is set -----------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oro",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "oro"}}

# --- Passwords ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"  # when a client sends no Accept-Language; es and en are both complete
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "America/Lima"
USE_TZ = True

# --- Static files (whitenoise) and uploaded files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Production serves the collected, hashed files (`manage.py collectstatic`); development and the tests
# serve them straight from the apps.
STATIC_FROM_APPS = env_bool("DJANGO_STATIC_FROM_APPS", DEBUG)
# Uploaded files live on the local disk by default; several app servers need them in shared storage: any
# S3-compatible service (django-storages), private, read only through the app's endpoints.
S3_OPTIONS: dict[str, object] = {
    "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
    "region_name": os.environ.get("S3_REGION") or None,
    "default_acl": "private",
    "querystring_auth": True,
    "file_overwrite": False,
}
# Evidence files are private: never under a public URL, served only by the authorised download endpoint.
# Local folder by default; any S3-compatible service with EVIDENCE_S3_BUCKET (django-storages).
EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "")
EVIDENCE_STORAGE: dict[str, object] = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": EVIDENCE_S3_BUCKET, **S3_OPTIONS}}
    if EVIDENCE_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private" / "evidence", "base_url": None},
    }
)
# Listing photos (the default storage, served by the app's photo endpoint): MEDIA_ROOT, or this bucket.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
DEFAULT_STORAGE: dict[str, object] = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": MEDIA_S3_BUCKET, **S3_OPTIONS}}
    if MEDIA_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
# The console's images of PDF evidence pages (rendered on the server, named by the file's SHA-256): derived,
# private and disposable. Beside the evidence: a folder of its own, or the evidence bucket under previews/.
PREVIEW_STORAGE: dict[str, object] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": EVIDENCE_S3_BUCKET, "location": "previews", **S3_OPTIONS, "file_overwrite": True},
    }
    if EVIDENCE_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private" / "previews", "base_url": None},
    }
)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "evidence": EVIDENCE_STORAGE,
    "previews": PREVIEW_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if STATIC_FROM_APPS
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = STATIC_FROM_APPS
WHITENOISE_AUTOREFRESH = STATIC_FROM_APPS

# --- Request limits -------------------------------------------------------------------------------
# JSON and form bodies above this answer 413 problem details (core.errors maps RequestDataTooBig).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Files the server parses out of one multipart body (more is 400 too_many_files); each endpoint allows fewer.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Evidence uploads: per file, per request, files per item, and the pixel cap for decoding images.
EVIDENCE_MAX_FILE_BYTES = env_int("EVIDENCE_MAX_FILE_BYTES", 10 * 1024 * 1024)
EVIDENCE_MAX_REQUEST_BYTES = env_int("EVIDENCE_MAX_REQUEST_BYTES", 25 * 1024 * 1024)
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 5)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spill to a temporary file

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Oro Responsable <no-reply@localhost>")
# Where links in e-mails point (the web client that consumes this API).
FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://127.0.0.1:8000")

# --- Payments (Stripe): off until STRIPE_SECRET_KEY is set; deposits then answer 503 payments_not_configured -
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
# The signing secret of the webhook endpoint (whsec_...): without it the webhook answers 503 and Stripe retries.
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Another Stripe API address (localstripe in tests and local development); empty means Stripe itself.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# The publishable key (pk_...) the console's deposit page hands to Stripe.js; empty: the page shows the deposit but
# takes no card (a program pays through the API's client secret).
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
# Where the deposit page loads Stripe.js from. Stripe requires its own address (a copy served from here is not
# allowed); localstripe serves a stand-in at <its address>/js.stripe.com/v3/ for tests and local development.
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
# Dotted path of the function that receives verified webhook events (payments.gateway.WebhookEvent); None
# records them only. The trade app names its deposit handler here, so payments never imports trade.
PAYMENTS_EVENT_HANDLER: str | None = "trade.deposits.stripe_sync.handle_payment_event"

# --- Security: secure cookies, HSTS and proxies through the environment ---------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every answer: the console's pages load scripts, styles, images and
# fonts from this server only, run no inline script or style, are never framed, and post forms only here. The
# API's documentation pages (Swagger UI, ReDoc) carry their own, looser policy (openapi/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:", "blob:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "frame-src": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
    }
}
if env_bool("DJANGO_BEHIND_PROXY", False):
    # Only behind a proxy that sets these headers itself; otherwise a client could forge them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many proxies stand in front of the app: DRF throttles use it to find the client address.
NUM_PROXIES = env_int("DJANGO_NUM_PROXIES", 1 if env_bool("DJANGO_BEHIND_PROXY", False) else 0)

# --- Django REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.ExactJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "openapi.schema.ProblemAwareAutoSchema",
    "EXCEPTION_HANDLER": "core.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonymousThrottle",
        "core.throttling.UserThrottle",
        "core.throttling.ScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "120/min"),
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "signup": os.environ.get("THROTTLE_SIGNUP", "10/hour"),
        # Logins per client address. Generous: a cooperative's members often share one carrier-grade NAT
        # address (mobile data in Madre de Dios); guessing one password is bounded per account below.
        "login": os.environ.get("THROTTLE_LOGIN", "60/min"),
        # Failed logins per e-mail address, whatever client they come from (fixed windows, not a lockout).
        "login_account": os.environ.get("THROTTLE_LOGIN_ACCOUNT", "5/15min"),
        "invitations": os.environ.get("THROTTLE_INVITATIONS", "30/hour"),
        "uploads": os.environ.get("THROTTLE_UPLOADS", "60/hour"),
        "inquiries": os.environ.get("THROTTLE_INQUIRIES", "30/hour"),  # new inquiries and messages in threads
        "proposals": os.environ.get("THROTTLE_PROPOSALS", "30/hour"),  # contracts started and terms proposed
        "deposits": os.environ.get("THROTTLE_DEPOSITS", "10/hour"),  # deposit attempts (each may call Stripe)
        "audit_verify": os.environ.get("THROTTLE_AUDIT_VERIFY", "30/min"),  # each recomputes many hashes
    },
    "NUM_PROXIES": NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# Public search answers are kept this long at most (listings/search_cache.py); every committed write to the
# catalogue makes them unreachable at once. 0 turns the cache off.
SEARCH_CACHE_SECONDS = env_int("SEARCH_CACHE_SECONDS", 60)
# The public impact report (and its chart, half a second of CPU to draw) is kept this long (reports/api/views.py);
# its figures are monthly. 0 turns it off.
IMPACT_REPORT_CACHE_SECONDS = env_int("IMPACT_REPORT_CACHE_SECONDS", 300)
IDEMPOTENCY_KEY_TTL = timedelta(hours=env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24))
# A key claimed longer ago than this and still in progress was left by a dead request: a retry takes it over.
# Keep it above gunicorn's timeout (GUNICORN_TIMEOUT), the longest a request may run.
IDEMPOTENCY_IN_PROGRESS_LEASE = timedelta(seconds=env_int("IDEMPOTENCY_IN_PROGRESS_SECONDS", 120))
# The most audit events one `audit-events/verify/` request recomputes; longer chains are verified range by range.
AUDIT_VERIFY_MAX_EVENTS = env_int("AUDIT_VERIFY_MAX_EVENTS", 10_000)
INVITATION_TTL = timedelta(days=env_int("INVITATION_TTL_DAYS", 7))

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("TOKEN_TTL_HOURS", 24)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": env_int("TOKEN_LIMIT_PER_USER", 20),
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Oro Responsable API",
    "DESCRIPTION": (
        "Marketplace API that connects the verified, mercury-free producers of the Madre de Dios women's "
        "network of artisanal gold miners (Peru) with refiners, jewellers and exporters. Errors are RFC 9457 "
        "problem details; messages follow Accept-Language (es, en). Any operation may answer 503 "
        "`database_unavailable` with Retry-After while the database restarts: nothing was changed, and the same "
        "request can be sent again."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SORT_OPERATION_PARAMETERS": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "accounts.models.Organization.Kind",
        "WebhookEndpointStateEnum": "webhooks.models.EndpointState",
        "WebhookDisabledReasonEnum": "webhooks.models.DisabledReason",
        "WebhookDeliveryStateEnum": "webhooks.models.DeliveryState",
        "WebhookEndpointDisableEnum": "webhooks.models.DISABLE_CHOICES",
        "InvitationKindEnum": "accounts.models.Invitation.Kind",
        "InvitationStatusEnum": "accounts.api.serializers.INVITATION_STATUSES",
        "MembershipRoleEnum": "accounts.models.Role",
        "MemberMinerRoleEnum": "producers.models.MemberMiner.Role",
        "SexEnum": "producers.models.Sex",
        "SourceCrsEnum": "producers.models.SourceCrs",
        "ReferenceAreaKindEnum": "producers.models.ReferenceArea.Kind",
        "ListingStatusEnum": "listings.models.Status",
        "ListingKindEnum": "listings.models.Kind",
        "GoldFormEnum": "provenance.models.Form",
        "ProcessingMethodsEnum": "provenance.models.ProcessingMethod",
        "CustodyKindEnum": "provenance.models.CustodyKind",
        "CustodyNextKindEnum": "provenance.models.NEXT_CUSTODY_KINDS",
        "AssayMethodEnum": "provenance.models.AssayMethod",
        # The same choice sets serve trade (an inquiry's state, the side of a party): one name each.
        "SourcingStateEnum": "listings.models.SourcingRequest.State",
        "SubjectEnum": "compliance.models.EvidenceType.Subject",
        "ValidityEnum": "compliance.models.EvidenceType.Validity",
        "ContractStateEnum": "trade.models.ContractState",
        "WebhookOutcomeEnum": "payments.api.serializers.WEBHOOK_OUTCOMES",
        "DepositStatusEnum": "trade.models.DepositStatus",
        "SiteStatusEnum": "producers.models.Site.Status",
        "DepositRefundStatusEnum": "trade.models.DepositRefund.Status",
        # Settlement: a payment's kind and a statement's kind share the name `kind` with other choice sets.
        "PaymentKindEnum": "settlement.models.PaymentKind",
        "StatementKindEnum": "settlement.models.StatementKind",
        # A rate's base and quote, and money's currency: one set of ISO 4217 codes.
        "CurrencyEnum": "core.money.Currency",
        "ChargeKindEnum": "trade.models.ChargeKind",
        # Why a figure of the impact report is null.
        "FigureReasonEnum": "reports.suppression.REASONS",
    },
    # OpenAPI links along the main journeys (create → read → act): openapi/links.py.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "openapi.links.add_links"],
}

# --- Logging: plain text by default, JSON lines with DJANGO_LOG_FORMAT=json -----------------------
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if os.environ.get("DJANGO_LOG_FORMAT") == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
ACTOR_RESOLVER = "accounts.acting.resolve_actor"
PRODUCER_STANDING = "compliance.selectors.producer_public_standing"
# The producers a buyer organisation has an inquiry with (trade, below producers and provenance): they may
# see those producers' lots, mass balance and exact site geometry.
PRODUCER_COUNTERPARTIES = "trade.selectors.producers_in_inquiry_with"
PRODUCERS_HOLDING = "compliance.selectors.producers_holding"
SITE_ADDED = "compliance.standing.site_added"  # a new site's verdict is stored with the site
# A producer's identity changed (an individual's sex backs the women-led claim with her identity document):
# its stored verdicts are recomputed in the same transaction.
PRODUCER_IDENTITY_CHANGED = "compliance.standing.producer_identity_changed"
# The search read model (listings, above them all) is kept in the transaction of every write to what decides
# a listing's visibility (compliance verdicts, producers and sites, red flags) and of every fix or rate.
CATALOGUE_CHANGED = "listings.search_index.producers_changed"
# The producer directory reads the search read model too: each producer's listings on offer today.
PRODUCER_OFFERS = "listings.selectors.offers_by_producer"
PRODUCERS_OFFERING = "listings.selectors.producers_offering"
PRICE_TABLE_CHANGED = "listings.search_index.prices_changed"
# Trade answers for listings and provenance: which lots are sold, which buyer records a lot's receipt, and the
# grams sold forward per site and month of delivery (the mass balance shows them).
LOTS_UNDER_CONTRACT = "trade.selectors.lots_under_contract"
LOT_BUYER = "trade.selectors.lot_buyer"
FORWARD_COMMITMENTS = "trade.selectors.forward_commitments"
# Trade tells both parties of the contracts whose accepted compliance snapshot names an evidence item that a
# reviewer revoked or a newer item superseded (compliance, before trade, calls it in the same transaction).
EVIDENCE_WITHDRAWN = "trade.snapshots.evidence_withdrawn"
# The due-diligence pack (diligence, before trade): what allows a buyer to read a producer's pack (an open
# inquiry or a contract that still ties them), and which of the producer's lots it shows.
PACK_BASIS = "trade.selectors.diligence_basis"
PACK_LOTS = "trade.selectors.pack_lots"
# How long a signed link to a file of the pack works (seconds).
PACK_FILE_LINK_SECONDS = env_int("PACK_FILE_LINK_SECONDS", 600)
# A reviewer approved a producer's owners declaration (compliance): screen the owners against the sanctions
# lists in force (diligence, above compliance).
OWNERS_CONFIRMED = "diligence.screening.owners_confirmed"
