"""Proofwork settings.

Every setting comes from the environment with a working local default: SQLite, a Celery
broker on the local filesystem, console email, local media. Production sets DATABASE_URL,
REDIS_URL, EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS (see README.md and .env.production.example).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from config.env import env_bool, env_int, env_list, media_origins
from config.schedule import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", False)

# A development key is only acceptable while DEBUG is on; production refuses to start
# without a real one, so sessions and password-reset tokens can never be forged.
_DEV_SECRET_KEY = "django-insecure-proofwork-local-development-only-key-do-not-deploy"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (50+ random characters) in production, "
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "core",
    "accounts",
    "notifications",
    "messaging",
    "marketplace",
    "payments",
    "contracts",
    "reviews",
    "config",
]

MIDDLEWARE = [
    "core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.privacy.PrivateResponsesMiddleware",  # Cache-Control: private, no-store for the signed in
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.SiteErrorPagesMiddleware",  # the site's own 404 (DEBUG on too) and 405 pages
    "core.middleware.StaffMFAMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    "core.middleware.AnonymousPageCacheMiddleware",
    "core.viewer_cache.ViewerPageCacheMiddleware",
]

# The load benchmark (bench/README.md) routes a bare view and counts queries; off unless set.
BENCH_BARE_VIEW = env_bool("BENCH_BARE_VIEW", False)
if BENCH_BARE_VIEW:
    MIDDLEWARE.insert(0, "config.bench.QueryCountMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "config.context_processors.header_badges",
            ],
        },
    },
]

FORM_RENDERER = "core.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# SQLite runs in IMMEDIATE mode so that a writer takes the lock when its transaction starts:
# two concurrent money moves queue up instead of failing with "database is locked".
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
# A PostgreSQL read replica takes the market's search and list reads (config/db_router.py);
# everything else, and every read inside a transaction, stays on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    # Lets the test runner treat the replica as the primary's mirror instead of a second database to create.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    MIDDLEWARE.append("config.db_router.ReplicaPinMiddleware")
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# Seconds a person reads from the primary after one of their writes, so the project they just
# posted is there on the next page even while the replica lags.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Rate limits (allauth, DRF throttles) and used TOTP codes need a cache shared by every web
# process: Redis in production. The single local development server can keep them in memory.
# While Redis is unreachable the cache misses and skips writes instead of failing the page
# (core/cache.py); short socket timeouts keep a hung Redis from holding requests.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FaultTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "proofwork"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Proofwork] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_DISPLAY = "accounts.adapters.user_display"
ACCOUNT_SIGNUP_REDIRECT_URL = "onboarding"
# Failed sign-ins count per address and per account (the email for passwords, the person for
# two-factor codes); the API's token endpoint counts in the same buckets (accounts/api.py).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Proofwork"

# How many reverse proxies stand in front of gunicorn, each appending the address it saw to
# X-Forwarded-For (the documented deployment: one TLS proxy on the same host, so 1). Every rate
# limit keys on the address the outermost of them saw (core.middleware.client_address); 0 when
# gunicorn faces the internet itself. Too low and every visitor shares the proxy's address (one
# visitor can lock everyone out); too high and a client picks its own address by sending the header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # the site's wording over allauth's strings (locale/en/…/django.po)
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Uploaded images are re-encoded before they are stored, so the app can serve them itself;
# behind a CDN or with object storage, turn this off and let that serve MEDIA_URL.
SERVE_MEDIA = env_bool("SERVE_MEDIA", not os.environ.get("AWS_STORAGE_BUCKET_NAME"))
# Attachments (project briefs, proposal files, messages) are private: stored outside
# MEDIA_ROOT and only sent by views that check who is asking.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
MAX_ATTACHMENT_BYTES = env_int("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# With a bucket named, media lives on S3-compatible storage (AWS S3, MinIO, Ceph, R2, …) through
# django-storages, so every web and worker machine sees the same files. Public images get plain,
# cacheable URLs (the bucket policy or a CDN makes the `media/` prefix readable). Attachments stay
# private: no public URL is ever built for them; the app reads them from the bucket and sends them
# after its permission check, with the same download headers as from disk. A signed URL, if one
# is ever asked for, expires within a minute.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
# Origins that public images load from, for the Content-Security-Policy's img-src.
MEDIA_ORIGINS: list[str] = []
if AWS_STORAGE_BUCKET_NAME:
    _s3 = {
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        # Empty keys leave boto3 to its own chain: an instance role, a web identity, ~/.aws.
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "location": "media",
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
        },
    }
    # A bucket of their own is safest for attachments: no policy written for public images can reach them.
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": os.environ.get("AWS_PRIVATE_STORAGE_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME,
            "location": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
        },
    }
    MEDIA_ORIGINS = media_origins(
        bucket=AWS_STORAGE_BUCKET_NAME,
        custom_domain=STORAGES["default"]["OPTIONS"]["custom_domain"],
        endpoint_url=_s3["endpoint_url"],
        region=_s3["region_name"],
    )
# Uploads: whole request bodies above this are refused before a view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_IMAGE_UPLOAD_BYTES = env_int("MAX_IMAGE_UPLOAD_BYTES", 5 * 1024 * 1024)

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
vars().update(dj_email_url.parse(EMAIL_URL))
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":  # noqa: F821 (set just above)
    EMAIL_BACKEND = "core.mail.ReadableFileBackend"  # file://: one readable file per email, not raw MIME
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Proofwork <no-reply@proofwork.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
# Without Redis, kombu's filesystem transport carries messages between processes through a
# local folder, so `make run` still runs a real worker and beat with no server to install.
CELERY_DATA_DIR = Path(os.environ.get("CELERY_DATA_DIR", BASE_DIR / "var" / "celery"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host (unused) spares kombu a "No hostname" warning
    # The transport needs its folders to exist before the first message is sent.
    for _folder in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
# Queues by kind of task, so a burst of one kind never delays another and each can get workers of
# its own (docs/scaling.md): emails, money sweeps, and everything else. `make run`'s worker and
# docker-compose's worker consume all three.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in ("default", "email", "money")]
CELERY_TASK_ROUTES = {
    "notifications.tasks.send_notification_email": {"queue": "email"},
    "accounts.tasks.send_account_email": {"queue": "email"},
    "contracts.tasks.auto_release_milestones": {"queue": "money"},
    "payments.tasks.clear_released_money": {"queue": "money"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE  # the periodic tasks, one table: config/schedule.py

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a call without credentials gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ProofworkAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # The same count as allauth's, so DRF's throttles see the same client address.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": os.environ.get("THROTTLE_AUTH_TOKEN", "10/min"),
    },
}
# An API token works for this long from when it is issued (fixed, not extended by use); a password
# change or reset, turning two-factor on, or DELETE /api/v1/auth/token/ ends it sooner.
API_TOKEN_LIFETIME = timedelta(days=env_int("API_TOKEN_LIFETIME_DAYS", 30))

# --- API input -----------------------------------------------------------------------------
# JSON that nests too deep, holds a lone UTF-16 surrogate or a number that is not finite is a 400
# before any view sees it (core/parsers.py).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.parsers.StrictJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

SPECTACULAR_SETTINGS = {
    "TITLE": "Proofwork API",
    "DESCRIPTION": "The freelance marketplace's REST API. Every call runs the same services as the web pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.field_errors_schema"],
}

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions are written to the database and kept in the cache: a signed-in page reads its session
# from Redis, and the database still has every session if the cache is lost.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF

# Stripe's hosted pages a form here may lead to (Checkout, Connect onboarding): the CSP's form-action.
STRIPE_HOSTED_ORIGINS = ["https://checkout.stripe.com", "https://connect.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        # Saving a card and connecting a payout account send the browser on to Stripe's own pages.
        "form-action": [SELF, *STRIPE_HOSTED_ORIGINS],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Without this, Django's own console handler (DEBUG only) prints each line a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- Proofwork ------------------------------------------------------------------------------
PROOFWORK_NOTIFICATION_RETENTION = timedelta(days=env_int("NOTIFICATION_RETENTION_DAYS", 180))
PORTFOLIO_MAX_ITEMS = env_int("PORTFOLIO_MAX_ITEMS", 12)
FREELANCER_MAX_SKILLS = env_int("FREELANCER_MAX_SKILLS", 15)
# Flood control for messages: at most this many per person per window.
MESSAGE_RATE_LIMIT = env_int("MESSAGE_RATE_LIMIT", 20)
MESSAGE_RATE_WINDOW_SECONDS = env_int("MESSAGE_RATE_WINDOW_SECONDS", 60)

# The market
TEST_PROJECT_MAX_CENTS = env_int("TEST_PROJECT_MAX_CENTS", 500_00)
TEST_PROJECT_MAX_DAYS = env_int("TEST_PROJECT_MAX_DAYS", 14)
PROJECT_OPEN_DAYS = env_int("PROJECT_OPEN_DAYS", 30)
PROJECT_MAX_BUDGET_CENTS = env_int("PROJECT_MAX_BUDGET_CENTS", 1_000_000_00)
MILESTONE_MIN_CENTS = env_int("MILESTONE_MIN_CENTS", 5_00)
MIN_PARTIAL_RELEASE_CENTS = env_int("MIN_PARTIAL_RELEASE_CENTS", 1_00)  # smallest early release of part
PROPOSAL_MAX_MILESTONES = env_int("PROPOSAL_MAX_MILESTONES", 10)
PROPOSAL_RATE_LIMIT = env_int("PROPOSAL_RATE_LIMIT", 30)  # proposals per person per hour
# Money: fees in basis points (1/100 of a percent); tiers by lifetime billings, in cents.
FREELANCER_FEE_TIERS = [
    (env_int("FEE_TIER_LIMIT_CENTS", 10_000_00), env_int("FEE_BPS_FIRST_TIER", 1000)),
    (None, env_int("FEE_BPS_AFTER", 500)),
]
CLIENT_FEE_BPS = env_int("CLIENT_FEE_BPS", 0)
CLEARANCE_DAYS = env_int("CLEARANCE_DAYS", 5)
AUTO_RELEASE_DAYS = env_int("AUTO_RELEASE_DAYS", 14)
OFFER_EXPIRY_DAYS = env_int("OFFER_EXPIRY_DAYS", 7)
# Reviews: days after a contract ends to review it (both publish together, or when it closes), and to reply.
REVIEW_WINDOW_DAYS, REVIEW_REPLY_DAYS = env_int("REVIEW_WINDOW_DAYS", 14), env_int("REVIEW_REPLY_DAYS", 28)
# Disputes: days the other side has to respond (else the filer's ask applies), then to settle before staff decide.
DISPUTE_RESPONSE_DAYS, DISPUTE_SETTLEMENT_DAYS = (
    env_int("DISPUTE_RESPONSE_DAYS", 5),
    env_int("DISPUTE_SETTLEMENT_DAYS", 7),
)
DEFAULT_CHANGE_ROUNDS = env_int("DEFAULT_CHANGE_ROUNDS", 2)
MILESTONE_MAX_CENTS = env_int("MILESTONE_MAX_CENTS", 100_000_00)
# Payments (docs/payments.md): with STRIPE_SECRET_KEY set, Stripe replaces the sandbox.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # a test server instead of api.stripe.com
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 20)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env_int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300)
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "stripe" if STRIPE_SECRET_KEY else "sandbox")
# A payment still processing this long is looked up at the processor (a webhook may be lost).
PAYMENT_STALE_MINUTES = env_int("PAYMENT_STALE_MINUTES", 10)
# Public pages kept this many seconds for visitors who are not signed in (0: never); see
# core.middleware.AnonymousPageCacheMiddleware. Nothing invalidates them: this is how stale they get.
ANONYMOUS_PAGE_CACHE_SECONDS = env_int("ANONYMOUS_PAGE_CACHE_SECONDS", 10)
ANONYMOUS_PAGE_CACHE_VIEWS = ("project_search", "project_detail", "project-list")
# Pages a signed-in person reloads, kept this many seconds for that person in that browser (0:
# never). Their own writes and every notification to them make the next page fresh at once; see
# core.viewer_cache. The public project API list (marketplace.api.projects) is the same for every
# caller, signed in or not: kept PUBLIC_LIST_CACHE_SECONDS per address, never invalidated.
PUBLIC_LIST_CACHE_SECONDS = env_int("PUBLIC_LIST_CACHE_SECONDS", ANONYMOUS_PAGE_CACHE_SECONDS)
VIEWER_PAGE_CACHE_SECONDS = env_int("VIEWER_PAGE_CACHE_SECONDS", 5)
VIEWER_PAGE_CACHE_VIEWS = ("dashboard", "contract_detail", "contract_list", "project_detail", "project_search")
VIDEO_MEETING_URL_TEMPLATE = os.environ.get("VIDEO_MEETING_URL_TEMPLATE", "https://meet.jit.si/proofwork-{token}")
