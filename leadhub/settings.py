"""leadhub settings, read from the environment (12-factor).

Embedded mode (no DATABASE_URL / REDIS_URL): SQLite file, eager Celery, local-memory cache, so a
bare machine can `make run`. Production mode (DJANGO_ENV=production) hardens cookies, HSTS and
SSL redirects and refuses to start without a real SECRET_KEY.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from leadhub.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-insecure-leadhub-secret-key-change-me-in-production-0123456789"

# Pepper for HMAC digests of provider and workspace API keys (never stored with the data).
API_KEY_PEPPER = os.environ.get("API_KEY_PEPPER", SECRET_KEY)
# Suppression entries are found by a digest peppered with this (suppression.services.suppression_digest);
# its own setting, so rotating the API key pepper does not make every suppressed number sellable.
SUPPRESSION_PEPPER = os.environ.get("SUPPRESSION_PEPPER", SECRET_KEY)

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leadhub",
    "workspaces",
    "providers",
    "contacts",
    "suppression",
    "compliance",
    "leads",
    "ledger",
    "distribution",
    "appointments",
    "conversions",
    "returns",
    "billing",
    "sources",
    "people",
    "analytics",
]

MIDDLEWARE = [
    "leadhub.middleware.RequestIdMiddleware",
    "leadhub.middleware.ApiMiddleware",
    "leadhub.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "leadhub.middleware.OpsTimeZoneMiddleware",
    "leadhub.middleware.AdminNulMiddleware",
]

ROOT_URLCONF = "leadhub.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "leadhub.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    # Django's cursors bind client-side and never prepare; this lets the few fixed-shape hot
    # queries that ask for it (leadhub.db.prepared_fetchall) keep their plan per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 0)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Concurrent requests on one file: WAL lets readers run beside the one writer;
            # BEGIN IMMEDIATE takes the write lock when a transaction starts, so a transaction
            # that read first never has to upgrade to writing (an upgrade that loses to another
            # writer fails at once with "database is locked", whatever the timeout); the busy
            # timeout (seconds) is how long a transaction waits for the writer before it.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Times are stored in UTC; the admin shows them in the operations team's zone, named on every time.
OPS_TIME_ZONE = os.environ.get("OPS_TIME_ZONE", "UTC")
FORMAT_MODULE_PATH = ["leadhub.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Redis: cache, rate limits, Celery broker -------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis outage degrades caching and rate limiting; it must not become a 500.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "leadhub"),
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    SILENCED_SYSTEM_CHECKS = []
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded mode only: a per-process cache is fine for one `runserver`.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing happens inside web requests (on commit): a Redis that accepts connections but never
# answers must cost a bounded few seconds (about 3 × socket_timeout), not hang the request
# (leadhub/tests/test_faults_redis.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"
# Outbox sweeper period (workspaces.delivery): due retries and events whose enqueue failed.
OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "60"))
# A failed distribution (the database's fault) is retried this many seconds × the attempts so far
# later (distribution.services._retry_later), after the provider's answer.
DISTRIBUTION_RETRY_SECONDS = float(os.environ.get("DISTRIBUTION_RETRY_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "workspaces.tasks.sweep_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    # Nightly: re-run the last ANALYTICS_ROLLUP_DAYS cohorts so late conversions reach their day.
    "analytics-rollup-nightly": {
        "task": "analytics.tasks.rollup_recent_days",
        "schedule": crontab(hour=1, minute=15),
    },
    "webhook-deletions-finalize": {
        "task": "providers.tasks.finalize_webhook_deletions",
        "schedule": crontab(minute=5),
    },
    "rejected-submissions-purge": {
        "task": "providers.tasks.purge_rejected_submissions",
        "schedule": crontab(hour=2, minute=30),
    },
    "signature-receipts-purge": {
        "task": "providers.tasks.purge_signature_receipts",
        "schedule": crontab(minute="*/10"),
    },
    # Unsold leads of webhooks with retry_unsold, when an offer's schedule opened or a cap reset.
    "unsold-leads-retry": {"task": "distribution.tasks.retry_unsold_leads", "schedule": crontab(minute="*/5")},
    # Stored leads of distributing webhooks that no distribution decided on (the database went
    # away, or the process died, between the lead's transaction and its distribution).
    "undecided-leads-distribute": {"task": "distribution.tasks.distribute_undecided_leads", "schedule": 60.0},
    # Hourly: close every buyer's and source's week and month that has ended in its own zone
    # (billing.services.statements_close_due); a late entry lands in the next open period.
    "statements-close": {"task": "billing.tasks.close_statements", "schedule": crontab(minute=20)},
    "analytics-cache-purge": {
        "task": "analytics.tasks.purge_analytics_cache",
        "schedule": crontab(minute="*/15"),
    },
}

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "leadhub.api.schema.LeadhubAutoSchema",
    "EXCEPTION_HANDLER": "leadhub.api.exceptions.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "leadhub.api.parsers.DepthLimitedJSONParser",
        "leadhub.api.parsers.JSONAwareFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "leadhub.api.filters.DatabaseSafeFilterBackend",
        "leadhub.api.filters.PartnerOrderingFilter",
    ],
    "UNAUTHENTICATED_USER": None,
    # Partner bodies are JSON only (PartnerAPIMixin), so tests post JSON unless they say otherwise.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Partner API: per-workspace requests per window (a workspace may override via metadata["api_rate"]).
    "DEFAULT_THROTTLE_RATES": {"workspace": os.environ.get("WORKSPACE_API_RATE", "600/min"),
                               "provider": os.environ.get("PROVIDER_API_RATE", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "leadhub API",
    "DESCRIPTION": "Provider webhooks and the workspace partner API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags and operation ids start after the version: `leads`, `leads_list`, not `v1_leads_list`.
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    # Request bodies get their own components, without read-only fields (`LeadActivityRequest`).
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": "webhooks", "description": "Provider webhooks: post leads and appointments. "
                                            "Quick start: [/api/docs/providers/](/api/docs/providers/)."},
        {"name": "provider", "description": "For lead sources: your own leads and what became of each "
                                            "(`X-Provider-Id` and `X-Api-Key`)."},
        {"name": "leads", "description": "Leads assigned to your workspace."},
        {"name": "contacts", "description": "The people behind your leads."},
        {"name": "appointments", "description": "Appointments routed to your workspace."},
        {"name": "conversions", "description": "Sales and other outcomes of your leads."},
        {"name": "returns", "description": "Leads you send back, with a reason, within your offers' limits."},
        {"name": "workspace", "description": "Your workspace profile and outbound webhook."},
        {"name": "events", "description": "Events sent to your outbound webhook, to page through or replay."},
        {"name": "analytics", "description": "Funnel, daily and provider figures."},
        {"name": "offers", "description": "What your workspace buys: products, where, which leads and when."},
        {"name": "sales", "description": "What your workspace bought: each lead, at what price, and when."},
        {"name": "suppressions", "description": "Your consumers' opt-outs: report one, list yours."},
    ],
    # /api/docs/ works without internet: Swagger UI and Redoc are served from our static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` / `outcome` field with different choices: name them apart.
    "ENUM_NAME_OVERRIDES": {
        "DeliveryStatusEnum": "workspaces.models.DeliveryStatus",
        "DeliveryAttemptOutcomeEnum": "workspaces.models.AttemptOutcome",
        # `outcome` of webhook answers (leads and appointments): one fixed value each.
        "SuccessOutcomeEnum": ["success"],
        "FailureOutcomeEnum": ["failure"],
        "AppointmentStatusEnum": "appointments.models.AppointmentStatus",
        "AppointmentOutcomeEnum": "appointments.models.Outcome",
        # A cap's `scope` (one offer or the whole buyer), not an API key's scopes.
        "CapScopeEnum": "distribution.api.serializers.CAP_SCOPES",
    },
}

# --- Domain settings ------------------------------------------------------------------------------
WEBHOOK_RESTORE_WINDOW_HOURS = int(os.environ.get("WEBHOOK_RESTORE_WINDOW_HOURS", "24"))
# Provider webhooks: bodies over 1 MB are refused with 413 (Django enforces the same ceiling).
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES
# First-party forms (/forms/<webhook_id>/): posts one client (an IPv6 /64 is one) may send per window.
FORM_RATE_LIMIT = int(os.environ.get("FORM_RATE_LIMIT", "10"))
FORM_RATE_WINDOW = int(os.environ.get("FORM_RATE_WINDOW", "3600"))
# Addresses (or CIDR ranges) of our own reverse proxies; only they may set X-Forwarded-For.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")
# How long a contact merge can be undone from its manifest (people.services.contact_unmerge).
CONTACT_UNMERGE_DAYS = int(os.environ.get("CONTACT_UNMERGE_DAYS", "30"))
# Failed admin logins allowed per window (leadhub.admin_login), per client (an IPv6 /64 is one) and per username.
ADMIN_LOGIN_RATE_PER_IP = os.environ.get("ADMIN_LOGIN_RATE_PER_IP", "20/15m")
ADMIN_LOGIN_RATE_PER_USERNAME = os.environ.get("ADMIN_LOGIN_RATE_PER_USERNAME", "5/15m")
# Refused webhook posts are kept this many days (providers.tasks.purge_rejected_submissions).
REJECTED_RETENTION_DAYS = int(os.environ.get("REJECTED_RETENTION_DAYS", "30"))
# Analytics: days the nightly rollup re-runs, KPI cache lifetime, where archived events go.
ANALYTICS_ROLLUP_DAYS = int(os.environ.get("ANALYTICS_ROLLUP_DAYS", "7"))
ANALYTICS_CACHE_TTL_SECONDS = int(os.environ.get("ANALYTICS_CACHE_TTL_SECONDS", "600"))
ARCHIVE_DIR = Path(os.environ.get("ARCHIVE_DIR", str(BASE_DIR / "archive")))
# The one currency of the money ledger (sales, payouts, credits): offer prices, caps by spend and
# webhook payouts are all in it.
LEDGER_CURRENCY = os.environ.get("LEDGER_CURRENCY", "USD")

# Outbound webhooks (workspaces.delivery): per-request timeout, retry budget (12 attempts with
# backoff 1 min × 2^n capped at 8 h ≈ 24 h), how long a claimed attempt may run before the event is
# due again, when the sweeper re-enqueues a row whose task vanished, and how many consecutive
# failed events switch a workspace's webhook off. OUTBOUND_OWN_HOSTS: our public hosts beyond
# ALLOWED_HOSTS, so forwarding never targets our own ingest URLs.
OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OUTBOUND_WEBHOOK_TIMEOUT_SECONDS", "10"))
OUTBOUND_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_WEBHOOK_MAX_ATTEMPTS", "12"))
OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS", "60"))
OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS", str(8 * 3600)))
OUTBOUND_WEBHOOK_CLAIM_SECONDS = int(os.environ.get("OUTBOUND_WEBHOOK_CLAIM_SECONDS", "120"))
OUTBOUND_WEBHOOK_FAILURE_LIMIT = int(os.environ.get("OUTBOUND_WEBHOOK_FAILURE_LIMIT", "20"))
OUTBOX_REENQUEUE_SECONDS = int(os.environ.get("OUTBOX_REENQUEUE_SECONDS", "300"))
OUTBOUND_OWN_HOSTS = env_list("OUTBOUND_OWN_HOSTS")
# SSRF guard (leadhub.netguard): outbound webhook and forwarding URLs must resolve to public
# addresses. Development and tests run their receivers on loopback, so only production refuses.
OUTBOUND_ALLOW_PRIVATE_TARGETS = env_bool("OUTBOUND_ALLOW_PRIVATE_TARGETS", not PRODUCTION)

# Consent-evidence verifiers (leads.services.evidence), asked only once an offer wants a lead, each
# only when its credential is set (no credential: nothing is verified, nothing leaves). TrustedForm
# API v4 is POSTed to the certificate URL itself; CONSENT_VERIFIER_TRUSTEDFORM_URL, when set, is a
# base the certificate id is appended to instead (a proxy; the tests' local verifier). Jornaya's
# authenticate endpoint takes the account code (`lac`) and the token. Timeouts are the outbound
# webhooks' (OUTBOUND_WEBHOOK_TIMEOUT_SECONDS), through the same SSRF guard.
CONSENT_VERIFIER_TRUSTEDFORM_URL = os.environ.get("CONSENT_VERIFIER_TRUSTEDFORM_URL", "")
CONSENT_VERIFIER_TRUSTEDFORM_API_KEY = os.environ.get("CONSENT_VERIFIER_TRUSTEDFORM_API_KEY", "")
CONSENT_VERIFIER_JORNAYA_URL = os.environ.get("CONSENT_VERIFIER_JORNAYA_URL", "https://api.leadid.com/Authenticate")
CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE = os.environ.get("CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE", "")

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}.")
LOGGING = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), fmt=LOG_FORMAT)

# --- Production hardening ---------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
