"""Settings for prepgraph, read from the environment.

One module for every environment, safe with no variables at all: DEBUG is off,
the secret key is a random one kept in a git-ignored file (.secret_key), the
database a SQLite file, Redis local. Development sets DJANGO_DEBUG=true (for
runserver over plain http); production sets SECRET_KEY (the same on every
host), ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS. See .env.example for every variable.
"""

import os
import secrets
import tempfile
import time
import warnings
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    """A positive number of seconds; a typo stops the start instead of a later crash."""
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise ImproperlyConfigured(f"{name} must be positive, got {raw!r}")
    return value


# Opt-in: a deployment that forgets the variable must not show tracebacks and settings.
DEBUG = env_bool("DJANGO_DEBUG", False)

# --- the secret key ---------------------------------------------------------------------
# It signs sessions, password-reset tokens and the planner's links. A key anyone can
# read (a default in the code, the placeholder in .env.example, Django's
# "django-insecure-" startproject keys) lets them forge those, so no such key is
# ever used, in development either: without SECRET_KEY each checkout generates its own.

MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDER_SECRET_KEYS = frozenset(
    {
        "change-me-to-a-long-random-string",  # .env.example
        "django-insecure-dev-only-prepgraph",  # this module's old development default
    }
)


def check_secret_key(key: str, source: str) -> str:
    """`key` if it is usable, else ImproperlyConfigured saying what is wrong with it."""
    fix = "use a long random string: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    lowered = key.lower()
    if key in PLACEHOLDER_SECRET_KEYS or "change-me" in lowered or "changeme" in lowered:
        raise ImproperlyConfigured(f"{source} is a published placeholder; {fix}")
    if lowered.startswith("django-insecure"):
        raise ImproperlyConfigured(f"{source} is a 'django-insecure-' development key; {fix}")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"{source} is {len(key)} characters long, shorter than {MIN_SECRET_KEY_LENGTH}; {fix}"
        )
    if len(set(key)) < 5:
        raise ImproperlyConfigured(f"{source} has fewer than 5 different characters; {fix}")
    return key


def secret_key_from_file(path: Path) -> str:
    """The key stored in `path`; on first use a random one, written there with mode 0600.

    O_CREAT|O_EXCL makes the creation atomic: of two processes starting at once
    exactly one creates the file, and the other reads the key the first one wrote
    (waiting briefly if it sees the file before the key is in it), so they agree.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and {path} cannot be created ({exc.strerror}); "
            "set SECRET_KEY, or SECRET_KEY_FILE to a writable path"
        ) from None
    else:
        key = secrets.token_urlsafe(50)
        try:
            os.write(fd, f"{key}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return key
    for _ in range(50):
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeError) as exc:
            raise ImproperlyConfigured(f"cannot read the secret key file {path}: {exc}") from None
        if key:
            return check_secret_key(key, f"the key in {path}")
        time.sleep(0.1)  # created by a process that has not written the key yet
    raise ImproperlyConfigured(
        f"the secret key file {path} is empty; delete it to generate a new key, or set SECRET_KEY"
    )


def secret_key_path() -> Path:
    """SECRET_KEY_FILE (relative to BASE_DIR unless absolute), by default BASE_DIR/.secret_key."""
    raw = os.environ.get("SECRET_KEY_FILE", "").strip() or ".secret_key"
    return BASE_DIR / Path(raw).expanduser()


if os.environ.get("SECRET_KEY", "").strip():
    SECRET_KEY = check_secret_key(os.environ["SECRET_KEY"], "SECRET_KEY")
else:
    # Fine for one host. Several hosts behind one site must share a key: set SECRET_KEY.
    SECRET_KEY = secret_key_from_file(secret_key_path())

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "web",  # first: its registration/ templates replace django.contrib.admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "kb",
    "planner",
    "api",
    # The project's own system checks (prepgraph/checks.py); no models.
    "prepgraph.apps.PrepgraphConfig",
]

MIDDLEWARE = [
    # Anonymous KB reads the stack has already answered, answered again before it with the
    # same bytes and headers (api.read_cache.reads_before_drf): first, so as to skip it all.
    "api.read_cache.reads_before_drf",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from the apps' static folders (vendored JavaScript included), so
    # the site runs as it is checked out: no collectstatic or web server step.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view over a rate limit raises Ratelimited; this answers with RATELIMIT_VIEW (a 429).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # One read of the KB revision token per request, however many cached reads use it.
    "kb.middleware.pin_revision",
]

ROOT_URLCONF = "prepgraph.urls"

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

WSGI_APPLICATION = "prepgraph.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'prepgraph.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock at BEGIN, so two transactions that
    # each check "would this edge close a cycle?" run one after the other
    # instead of both passing the check (kb.integrity relies on it).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # WAL: readers never wait for the writer, and a commit appends to the log with
    # no fsync of the database (synchronous=NORMAL: a power cut may lose the last
    # commits, never the file), so two web processes writing plans do not queue on
    # each other's fsyncs. The journal mode is kept in the file once set.
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    # A file, not the shared-cache in-memory default: SQLite's shared cache answers
    # "table is locked" at once instead of waiting, which breaks the concurrency tests.
    # One file per process, so two test runs in the same checkout never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"prepgraph-test-{os.getpid()}.sqlite3")
    }
# A kept connection can be dead (PostgreSQL restarted, a proxy's idle timeout): without
# the check each worker's next request would fail with a 500. With it Django tests a
# reused connection at the start of each request and reconnects.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0

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

# --- Caches: the API throttles' and the account forms' rate counts ----------------------
# DRF's throttles (api/throttling.py) and django-ratelimit (web/limits.py) count in the
# default cache. With several web processes the counts must be shared, or each process
# would allow the full rate. So: CACHE_URL if set; else, when REDIS_URL is set in the
# environment, that Redis; else a per-process cache (nothing to start on a laptop). Only
# an explicit REDIS_URL counts: its default is the Celery broker's alone, and a web process must
# not need a Redis just because the broker has a default address.
REDIS_URL_SET = bool(os.environ.get("REDIS_URL", "").strip())
REDIS_URL = os.environ.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"


def redis_cache_url(broker_url: str) -> str:
    """`broker_url` moved to the next Redis database: the cache's own.

    Django's RedisCache.clear() is FLUSHDB. On the broker's database it would drop
    Celery's queues and kombu's routing tables (publishing then fails with "Cannot
    route message"), so the cache never shares the broker's database.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(broker_url)
    query = dict(parse_qsl(parts.query))
    raw_db = query.pop("db", "") or parts.path.strip("/") or "0"
    try:
        db = int(raw_db)
    except ValueError:
        raise ImproperlyConfigured(f"REDIS_URL has no valid database number: {raw_db!r}") from None
    if db >= 15:  # a stock Redis has databases 0-15
        raise ImproperlyConfigured(
            f"REDIS_URL uses database {db}, so the cache has no next one to use; "
            "set CACHE_URL to a Redis database of its own"
        )
    if parts.scheme == "unix":  # unix:///path/to/socket?db=N
        path, query = parts.path, {**query, "db": str(db + 1)}
    else:
        path = f"/{db + 1}"
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{urlencode(query)}" if query else "")


CACHE_URL = os.environ.get("CACHE_URL", "").strip() or (
    redis_cache_url(REDIS_URL) if REDIS_URL_SET else ""
)
CACHES = {
    "default": (
        {
            # Django's RedisCache, falling back to a per-process cache while Redis fails
            # (prepgraph/cache.py): a Redis outage must not take the API or sign-in down.
            "BACKEND": "prepgraph.cache.FallbackRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "prepgraph",
            "OPTIONS": {
                # A dead or hung Redis costs the one request that tries it half a second.
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                # While Redis is down, each process tries it again at most this often.
                "fallback_retry_seconds": env_float("CACHE_RETRY_SECONDS", 5.0),
            },
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # The rendered API schema (/api/schema/), in each process: it changes only with the
    # code, so a restart (a deploy) must drop it, which a shared cache would not.
    "schema": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "schema"},
}
# django-ratelimit calls a per-process cache an error and Django's own Redis cache
# "not officially supported"; both count correctly for what they are (see above).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_VIEW = "web.limits.too_many"
RATE_SIGN_IN_IP = os.environ.get("RATE_SIGN_IN_IP", "30/h")
RATE_SIGN_IN_USER = os.environ.get("RATE_SIGN_IN_USER", "10/h")
RATE_RESET_IP = os.environ.get("RATE_RESET_IP", "10/h")
RATE_RESET_EMAIL = os.environ.get("RATE_RESET_EMAIL", "3/h")
RATE_SIGN_UP_IP = os.environ.get("RATE_SIGN_UP_IP", "10/h")

# The pages' scripts take the CSRF token from the form they enhance, never the cookie.
CSRF_COOKIE_HTTPONLY = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = True
# Until someone runs collectstatic, STATIC_ROOT does not exist, and the finders serve
# everything anyway: whitenoise's warning about it says nothing useful.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Upper case: Python's logging refuses "info", which celery's --loglevel takes.
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO",
    },
}

if not DEBUG:
    # https only. Plain-http clients turn the redirect off explicitly: the test suite
    # (tests/conftest.py), or a local runserver without DJANGO_DEBUG=true.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS: browsers that saw the site over https refuse plain http to it for this long
    # (0 turns it off). Subdomains too by default, so set SECURE_HSTS_INCLUDE_SUBDOMAINS=
    # false when the site's host name has http-only subdomains. Preload is opt-in: it
    # asks browsers to build the rule in for the whole registered domain, which takes
    # months to undo, a commitment for the domain's owner to make, not a default.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")  # "not preloaded": deliberate, above
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- REST API (api/) ---------------------------------------------------------------------
# Everything the REST API needs; README "REST API" documents the environment variables.

INSTALLED_APPS += [
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc assets served locally, no CDN
]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, got {value}")
    return value


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as '100/minute'; checked here so a typo fails at start-up."""
    import re

    rate = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", rate):
        raise ImproperlyConfigured(f"{name} must look like 100/minute (s, m, h or d), got {rate!r}")
    return rate


# Largest request body Django reads into memory (DRF >= 3.17.2 applies it to JSON bodies).
# Plan and KB requests are a few KB; 1 MiB leaves room. The KB import endpoint reads its
# body itself, bounded by API_IMPORT_MAX_BYTES (the shipped graph is ~0.4 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
API_IMPORT_MAX_BYTES = env_int("API_IMPORT_MAX_BYTES", 16 * 1024 * 1024)
# Bytes of rendered KB reads each process keeps (api/read_cache.py; API_READ_CACHE=false,
# read there, turns the store off).
API_READ_CACHE_MAX_BYTES = env_int("API_READ_CACHE_MAX_BYTES", 32 * 1024 * 1024)

# Reverse proxies in front of the web processes, each appending the address it saw to
# X-Forwarded-For. 0 (no proxy): the client is REMOTE_ADDR and the header is ignored, as
# anyone can write it. N: the client is the Nth address from the right, the one the
# outermost trusted proxy saw. Rate limits and throttles key on that address.
TRUSTED_PROXIES = 0
if os.environ.get("TRUSTED_PROXIES", "").strip() not in ("", "0"):
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
RATELIMIT_IP_META_KEY = "web.limits.client_ip"

REST_FRAMEWORK = {
    # The throttles' client address (see TRUSTED_PROXIES): without it DRF keys anonymous
    # throttles on the whole X-Forwarded-For header, which a client can change at will.
    "NUM_PROXIES": TRUSTED_PROXIES,
    # Token first: an anonymous write then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsStaffOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],  # DRF's bytes, by orjson
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],  # DRF's, with a depth limit
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON", "120/minute"),
        "user": env_rate("API_THROTTLE_USER", "1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.exception_handlers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # `?format=` is a real parameter of /graph/subgraph, not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "prepgraph API",
    "DESCRIPTION": (
        "ML interview concepts, their prerequisite graph, and study plans. "
        'Every error is `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AreaEnum": "kb.models.Area",
        "DifficultyEnum": "kb.models.Difficulty",
        "RoleEnum": "kb.models.Role",
        "EdgeKindEnum": "kb.models.PrerequisiteKind",
        "ResourceKindEnum": "kb.models.ResourceKind",
        "ItemKindEnum": "planner.models.ItemKind",
        "ItemStatusEnum": "planner.models.ItemStatus",
    },
}


# --- Celery (prepgraph/celery.py, planner/tasks.py) -------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True  # no result backend: outcomes are ReminderDelivery rows
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task over its hard limit is killed; the sending lease must outlast it, so that a
# row still "sending" after its lease belongs to a dead worker and can be taken back.
CELERY_TASK_TIME_LIMIT = env_int("REMINDER_TASK_TIME_LIMIT", 60)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT * 3 // 4)
CELERY_TASK_ACKS_LATE = False  # a message is a nudge; the database row is the record
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for Redis to come back
# Fail fast when Redis hangs or is down (kombu waits forever by default). No message
# is held longer than a task takes, so the visibility timeout only matters for a
# worker that dies holding one: the database outbox resends it anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {
        "task": "planner.tasks.dispatch_due_reminders",
        "schedule": 60.0,
    },
    # Refit the FSRS parameters of people with enough new ratings (planner.memory_services.
    # parameters_refit_due), once a day at a quiet hour (UTC). Needs the optimizer extra on
    # the workers; without it the task logs what to install and does nothing.
    "refit-fsrs-parameters": {
        "task": "planner.tasks.refit_fsrs_parameters",
        "schedule": crontab(hour=3, minute=17),
    },
}
# The refit task's own hard limit (the soft limit is 3/4 of it): fits take seconds each
# with torch, and whoever a run does not reach is refitted the next day.
FSRS_REFIT_TIME_LIMIT = env_int("FSRS_REFIT_TIME_LIMIT", 1800)
# Beat's own state file (the schedule itself is static). It is a pickle shelve, and
# loading a pickle runs code: never in a world-writable directory such as /tmp, nor
# shared between checkouts. By default the checkout's git-ignored var/beat/, which beat
# creates with mode 0700 (prepgraph/beat.py); the image sets a path in its volume.
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME", "").strip() or str(
    BASE_DIR / "var" / "beat" / "celerybeat-schedule"
)
CELERY_BEAT_SCHEDULER = "prepgraph.beat.PrivateDirScheduler"

# Reminder delivery (planner/reminders.py): the database is the outbox. A failed
# attempt waits in its row for next_attempt_at (exponential backoff with jitter).
REMINDER_RETRY_BASE_SECONDS = float(os.environ.get("REMINDER_RETRY_BASE_SECONDS", "30"))
REMINDER_RETRY_MAX_SECONDS = float(os.environ.get("REMINDER_RETRY_MAX_SECONDS", "600"))
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 6)
REMINDER_WEBHOOK_TIMEOUT = float(os.environ.get("REMINDER_WEBHOOK_TIMEOUT", "5"))
REMINDER_SENDING_LEASE_SECONDS = env_int(
    "REMINDER_SENDING_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 30
)
if REMINDER_SENDING_LEASE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "REMINDER_SENDING_LEASE_SECONDS must be longer than REMINDER_TASK_TIME_LIMIT "
        f"({REMINDER_SENDING_LEASE_SECONDS} <= {CELERY_TASK_TIME_LIMIT}): a live sender "
        "would be taken for dead and the reminder sent twice"
    )
REMINDER_REENQUEUE_AFTER_SECONDS = env_int("REMINDER_REENQUEUE_AFTER_SECONDS", 600)
# Webhook receivers on these hosts, IPs or networks (CIDR) may be internal; every
# other webhook must resolve to public addresses only (planner/webhooks.py).
REMINDER_WEBHOOK_ALLOWED_HOSTS = env_list("REMINDER_WEBHOOK_ALLOWED_HOSTS")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# SMTP when EMAIL_HOST is set. Without it: the console in development; in production
# (DEBUG off) a backend that logs recipients and subjects only, as the console would put
# whole messages, password-reset and reminder links included, into the logs
# (prepgraph/mail.py; the system check prepgraph.W001 warns about it).
if os.environ.get("EMAIL_HOST", "").strip():
    default_email_backend = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    default_email_backend = "django.core.mail.backends.console.EmailBackend"
else:
    default_email_backend = "prepgraph.mail.UndeliveredEmailBackend"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or default_email_backend
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: one file per email here.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "prepgraph <reminders@localhost>")
