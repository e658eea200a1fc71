"""Settings shared by every mode, read from the environment (12-factor).

Embedded default: no variables set -> SQLite file under var/, tasks run
in-process after commit, e-mail to the console. Production-like: set
DATABASE_URL and REDIS_URL (and use config.settings.production).
"""

import base64
import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _embedded_secret_key() -> str:
    """A per-installation key kept in var/, so the embedded mode needs no setup."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret_key()


def _embedded_signing_key() -> str:
    """The Ed25519 key that signs audit checkpoints, kept in var/ in the embedded mode (out
    of the database, which is what matters); production takes it from the environment."""
    path = VAR_DIR / "audit_signing_key"
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


# Signed checkpoints of each agency's audit chain head (audit.checkpoints): the key, where
# they are kept (outside PostgreSQL), and how often beat signs them.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY") or _embedded_signing_key()
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR", VAR_DIR / "checkpoints"))
AUDIT_CHECKPOINT_SECONDS = float(os.environ.get("AUDIT_CHECKPOINT_SECONDS", "600"))
# The chain check runs as a task (audit.tasks.verify_chain_job); one queued or running that
# has written no progress for this long is taken as lost and a new request starts afresh.
AUDIT_VERIFICATION_STALE_SECONDS = float(
    os.environ.get("AUDIT_VERIFICATION_STALE_SECONDS", "900"))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # before viewflow: webui/templates/viewflow/ overrides a few of viewflow's templates
    "webui",
    "tinymce",  # the body editor's static files (webui.forms.RichTextEditor)
    "viewflow",
    "viewflow.workflow",
    "agencies",
    "publications",
    "workflow",
    "audit",
    "releases",
    "notifications",
    "applications",
    "workdays",
    "disclosure",
    "scanning",
    "publicsite",
    "demo",
    "axes",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files, with DEBUG off too (`make run` serves the demo that way, so a 404 is the
    # product's page); production serves what collectstatic gathered
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # the public column's cached pages, answered before sessions, language, CSRF and auth
    # (publicsite.cache); SecurityMiddleware above still adds its headers to them
    "publicsite.cache.ColumnCacheMiddleware",
    "core.middleware.RejectNulInQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as axes asks: it turns a login refused by the lockout into its answer (429)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A pooled connection is checked before its first use in each request (and, see
# config/celery.py, each task), so one that PostgreSQL dropped (a failover, a restart) is
# replaced instead of failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Review actions lock the process row themselves (viewflow select_for_update_lock);
# a request-wide transaction would turn the loser of a race into a 500.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

# DB_POOLER=pgbouncer: DATABASE_URL names a PgBouncer in transaction pooling mode, where each
# transaction (each statement, outside one) may run on another server connection. Nothing
# may then outlive a transaction on the server: no server-side cursor held across one (Django
# opens them WITH HOLD for .iterator() outside a transaction) and no prepared statement
# (PgBouncer 1.18, Debian 12's, cannot route them; Django's own default is None as well, set
# here so that OPTIONS cannot turn it on). The code keeps no other session state: see
# docs/operations.md#pgbouncer. Explicit, not guessed from the port.
DB_POOLER = os.environ.get("DB_POOLER", "").strip().lower()
if DB_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(f"DB_POOLER must be empty or 'pgbouncer', not {DB_POOLER!r}.")
if DB_POOLER == "pgbouncer":
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DB_POOLER=pgbouncer needs a PostgreSQL DATABASE_URL.")
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # first: refuses every login of a locked account or address before a password is checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "workflow.permissions.ReviewPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/app/login/"
LOGIN_REDIRECT_URL = "/app/"

# --------------------------------------------------------------------------------------
# Sign-in (accounts/): lockout after failed logins (django-axes), API token expiry, web
# session idle timeout. The lockout holds on the token endpoint, the web and admin logins.
# --------------------------------------------------------------------------------------
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))  # per account
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30"))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # accounts.lockout relies on this order
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
# a locked account stays locked LOGIN_LOCKOUT_MINUTES from its lockout, as the message says
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "accounts.lockout.AccountAndAddressHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit chain
AXES_ENABLE_ADMIN = False  # accounts.admin shows attempts with an audited unlock
AXES_VERBOSE = False
# The client address (accounts.lockout.client_address) is REMOTE_ADDR; behind reverse
# proxies that each append to X-Forwarded-For, set LOGIN_PROXY_COUNT to their number, or
# every login shares the proxy's address (and its limit).
LOGIN_PROXY_COUNT = int(os.environ.get("LOGIN_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"

API_TOKEN_IDLE_SECONDS = int(os.environ.get("API_TOKEN_IDLE_SECONDS", str(8 * 3600)))
API_TOKEN_LIFETIME_SECONDS = int(os.environ.get("API_TOKEN_LIFETIME_SECONDS", str(7 * 86400)))
API_TOKEN_TOUCH_SECONDS = 60  # the last-used time is written at most once a minute
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", str(2 * 3600)))
SESSION_TOUCH_SECONDS = 60
# the session row and cookie outlive the idle timeout by the touch interval, no more
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_TOUCH_SECONDS

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
# locale/: our own strings (Chinese msgids) in English; makemessages rewrites it.
# locale_vendor/: Chinese for the English strings of viewflow's pages (its wheel ships an
# empty zh_Hans catalogue), kept apart so that makemessages never marks them obsolete.
# Both come before the apps' catalogues, so these win over viewflow's own.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# the embedded mode serves static files straight from the apps and packages (no collectstatic)
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if WHITENOISE_USE_FINDERS and not STATIC_ROOT.exists():
    try:  # WhiteNoise looks there as well, and warns of a missing directory
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Publication limits (clear 400s when exceeded).
PUBLICATION_BODY_MAX_CHARS = int(os.environ.get("PUBLICATION_BODY_MAX_CHARS", "200000"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS", "pdf,doc,docx,xls,xlsx,ofd,txt,jpg,jpeg,png,zip"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# Pre-scan of attachments (a Celery task; see scanning.extract and scanning.sandbox): per
# attachment, the bytes a zip package (.docx, .xlsx, .ofd) may expand to, the XML elements
# it may hold and the seconds reading it may take; over any of them it is listed
# "unscanned: too large". SCAN_SANDBOX: read each attachment in a child process with an
# address-space limit of SCAN_SANDBOX_MEMORY_BYTES (off: in the worker itself, with the
# cooperative limits only).
SCAN_MAX_DECOMPRESSED_BYTES = int(os.environ.get("SCAN_MAX_DECOMPRESSED_BYTES",
                                                 str(50 * 1024 * 1024)))
SCAN_MAX_XML_ELEMENTS = int(os.environ.get("SCAN_MAX_XML_ELEMENTS", "1000000"))
SCAN_ATTACHMENT_SECONDS = float(os.environ.get("SCAN_ATTACHMENT_SECONDS", "30"))
SCAN_SANDBOX = os.environ.get("SCAN_SANDBOX", "1") not in ("0", "false", "no", "")
SCAN_SANDBOX_MEMORY_BYTES = int(os.environ.get("SCAN_SANDBOX_MEMORY_BYTES",
                                               str(1024 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request then gets 401 with WWW-Authenticate.
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.WindowPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "政务公开审核发布系统 API",
    "DESCRIPTION": "三审 + 保密审查 review, release and audit trail.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applications.models.ApplicationStatus",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_errors_and_ids",
    ],
}

# Celery: with REDIS_URL the production-like stack; without it tasks run
# in-process (they are always dispatched with transaction.on_commit).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# With the broker down, give up publishing quickly: the outbox row stays pending and the
# sweeper dispatches it later, so a user's request must not hang on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0,
                                    "interval_step": 0.5, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Celery's Django fixup closes the database connection around every task unless told to
# reuse it: a new PostgreSQL connection per delivery cost ~10 ms of server CPU each. Reused,
# a connection is checked per task instead (config/celery.py), as a web request does.
CELERY_DB_REUSE_MAX = 1000
# Two queues, deliveries first. Release tasks (deliver, retract, the outbox sweep) go to
# "releases", everything else (notice e-mails, group robots, digests, scans, reminders,
# chain checks) to "celery". A worker consumes the queues in this order and always takes a
# waiting delivery before other work ("priority" below). Measured: four of every five tasks
# an approval causes are notice e-mails and robot posts, and in one FIFO queue the
# deliveries waited behind them, p95 1.4–5 s on a busy machine and 23 s with a mail server
# taking 200 ms per message (benchmarks/RESULTS.md, release_throughput.py
# --paced-approvals); the morning digest's e-mails would be another such backlog.
RELEASE_QUEUE = "releases"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue(RELEASE_QUEUE), Queue(CELERY_TASK_DEFAULT_QUEUE))
CELERY_TASK_ROUTES = {"releases.tasks.*": {"queue": RELEASE_QUEUE}}
# A worker reserves only the task it runs (with late acknowledgement, the one it has not
# acknowledged yet): a delivery never waits in one busy worker's buffer, behind a slow task,
# while another worker is idle. (Celery's default reserves 4 per pool process; a
# `--pool solo` worker fetches only when free anyway, a prefork one does not.)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# visibility_timeout: longer than any retry delay or countdown: Redis redelivers
# unacknowledged messages after this, which would otherwise duplicate scheduled retries.
# queue_order_strategy: each fetch asks the queues in the worker's order (-Q, or the order
# of CELERY_TASK_QUEUES), not round robin, so "releases" comes first.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60,
                                   "queue_order_strategy": "priority"}
CELERY_BEAT_SCHEDULE = {
    "sweep-release-outbox": {"task": "releases.tasks.sweep_outbox", "schedule": 60.0},
    "sign-audit-checkpoints": {"task": "audit.tasks.write_checkpoints",
                               "schedule": AUDIT_CHECKPOINT_SECONDS},
    # every agency's chain walked end to end each night (a break is logged at ERROR)
    "verify-audit-chains-nightly": {"task": "audit.tasks.verify_all_chains",
                                    "schedule": crontab(hour=3, minute=30)},
    # 依申请公开: reminders at 5 and 1 working days before the deadline, and when overdue
    # (hourly: a reminder is written once however often, or by however many beats, it runs)
    "application-deadline-reminders": {"task": "applications.tasks.send_deadline_reminders",
                                       "schedule": crontab(minute=5)},
    # and every open deadline recounted nightly, should a calendar change have been missed
    "application-deadlines-recount": {"task": "applications.tasks.recompute_deadlines",
                                      "schedule": crontab(hour=2, minute=15)},
    # from 1 October, each agency admin told once a year that next year's holiday notice
    # is missing (notifications.holiday_warnings)
    "holiday-year-missing-warning": {
        "task": "notifications.holiday_warnings.warn_missing_holiday_year",
        "schedule": crontab(hour=8, minute=0)},
    # Art. 26: reminders about items 5 and 1 working days before their deadline and when
    # overdue (workflow.reminders; hourly, sent on working days from 08:00, each once)
    "item-deadline-reminders": {"task": "workflow.tasks.send_item_reminders",
                                "schedule": crontab(minute=10)},
    # the daily digest (workflow.digest): every 10 minutes, each agency's people once a
    # working day after its digest time
    "daily-digests": {"task": "workflow.tasks.send_daily_digests", "schedule": 600.0},
    # e-mails held over quiet hours (notifications.quiet), sent when the quiet period ends
    "send-held-notification-emails": {"task": "notifications.tasks.send_held_emails",
                                      "schedule": 300.0},
    # 代理: the absent person's claims released when their leave starts (hourly, each once;
    # naming a leave that starts today releases them at once)
    "start-leaves": {"task": "workflow.tasks.start_leaves", "schedule": crontab(minute=1)},
    # "sweep-unsent-notification-emails" is added with its settings in the notifications block
}

# Release delivery (releases.delivery)
RELEASE_LEASE_SECONDS = int(os.environ.get("RELEASE_LEASE_SECONDS", "300"))
RELEASE_MAX_ATTEMPTS = int(os.environ.get("RELEASE_MAX_ATTEMPTS", "8"))
RELEASE_RETRY_BASE_SECONDS = float(os.environ.get("RELEASE_RETRY_BASE_SECONDS", "5"))
RELEASE_RETRY_MAX_SECONDS = float(os.environ.get("RELEASE_RETRY_MAX_SECONDS", "1800"))
RELEASE_POLL_SECONDS = float(os.environ.get("RELEASE_POLL_SECONDS", "30"))
PUBLIC_SITE_BASE_URL = os.environ.get("PUBLIC_SITE_BASE_URL", "")

# Online applications (依申请公开) on the public site and the public API, counted per client
# address in the cache below (applications.abuse); over a limit the answer is 429.
APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR = int(
    os.environ.get("APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR", "5"))
APPLICATION_SUBMISSIONS_PER_IP_PER_DAY = int(
    os.environ.get("APPLICATION_SUBMISSIONS_PER_IP_PER_DAY", "20"))
APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR = int(
    os.environ.get("APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR", "30"))

# How long this server keeps a rendered page of the public column (publicsite.cache). Every
# change of what the column shows purges the agency's pages at once (core.column_cache); the
# limit bounds the memory and what a purge that could not reach the cache leaves behind.
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "300"))

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # httpx logs request URLs at INFO, and WeChat puts the access token in the URL
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --------------------------------------------------------------------------------------
# Notifications (notifications/): links in e-mails, and where e-mail goes.
# Embedded default: the console backend above. With EMAIL_HOST set, SMTP with the
# EMAIL_* variables (config.settings.production sets its own SMTP defaults).
# --------------------------------------------------------------------------------------
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND",
                                   "django.core.mail.backends.smtp.EmailBackend")
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# a worker must not hang on an unreachable mail server; the task retries instead
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
NOTIFICATION_EMAIL_MAX_RETRIES = int(os.environ.get("NOTIFICATION_EMAIL_MAX_RETRIES", "8"))
NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = float(
    os.environ.get("NOTIFICATION_EMAIL_RETRY_BASE_SECONDS", "30"))
NOTIFICATION_EMAIL_RETRY_MAX_SECONDS = float(
    os.environ.get("NOTIFICATION_EMAIL_RETRY_MAX_SECONDS", "3600"))
# The sweeper of e-mails whose after-commit task was lost (the broker was down then): every
# NOTIFICATION_EMAIL_SWEEP_SECONDS it mails the notices unsent after the grace period (in
# which the after-commit task sends them) and younger than the maximum age (so that turning
# e-mail on later does not flood a person with old notices).
NOTIFICATION_EMAIL_SWEEP_SECONDS = float(os.environ.get("NOTIFICATION_EMAIL_SWEEP_SECONDS", "300"))
NOTIFICATION_EMAIL_GRACE_SECONDS = int(os.environ.get("NOTIFICATION_EMAIL_GRACE_SECONDS", "600"))
NOTIFICATION_EMAIL_MAX_AGE_SECONDS = int(
    os.environ.get("NOTIFICATION_EMAIL_MAX_AGE_SECONDS", "172800"))
# Group robots (notifications.messengers): a message the robot's side failed is retried
MESSENGER_MAX_RETRIES = int(os.environ.get("MESSENGER_MAX_RETRIES", "5"))
MESSENGER_RETRY_BASE_SECONDS = float(os.environ.get("MESSENGER_RETRY_BASE_SECONDS", "10"))
MESSENGER_RETRY_MAX_SECONDS = float(os.environ.get("MESSENGER_RETRY_MAX_SECONDS", "600"))
# Quiet hours (notifications.quiet): each agency's own (Agency.quiet_from/quiet_until,
# weekends, holidays); 0 turns them off everywhere
NOTIFICATION_QUIET_HOURS = env_bool("NOTIFICATION_QUIET_HOURS", True)
CELERY_BEAT_SCHEDULE["sweep-unsent-notification-emails"] = {
    "task": "notifications.tasks.sweep_unsent_emails",
    "schedule": NOTIFICATION_EMAIL_SWEEP_SECONDS,
}
