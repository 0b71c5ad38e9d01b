"""Django settings, read from the environment (see the README's Configuration section).

With `DJANGO_DEBUG` off (the default) every required variable must be set and well formed,
or start-up stops with one message listing every problem. With `DJANGO_DEBUG=1` missing
variables take development defaults: SQLite in `.dev/`, the embedded Redis on port 6380,
and the console SMS backend.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from project.env import (
    Settings,
    check_choice,
    check_database_url,
    check_e164,
    check_http_url,
    check_pattern,
    check_redis_url,
    check_time_zone,
    check_times,
)

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_DIR = BASE_DIR / ".dev"
DEV_REDIS_PORT = 6380

env = Settings()
DEBUG = env.debug

# --- Core -------------------------------------------------------------------------------
SECRET_KEY = env.get_str("DJANGO_SECRET_KEY", dev_default="dev-only-insecure-secret-key-change-me")
ALLOWED_HOSTS = env.get_list("DJANGO_ALLOWED_HOSTS", dev_default="localhost,127.0.0.1,[::1]")
PUBLIC_BASE_URL = env.get_str("PUBLIC_BASE_URL", dev_default="http://127.0.0.1:8000", check=check_http_url).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "advice",
    "reminders",
    "messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

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

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env.get_str("DATABASE_URL", dev_default=f"sqlite:///{DEV_DIR / 'db.sqlite3'}", check=check_database_url)
if DEBUG and DATABASE_URL.startswith(f"sqlite:///{DEV_DIR}"):
    DEV_DIR.mkdir(exist_ok=True)
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL or "sqlite:///:memory:")}
DATABASES["default"]["CONN_MAX_AGE"] = env.get_int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in development: wait for locks, don't fail.
    # IMMEDIATE takes the write lock at BEGIN, so two workers never deadlock upgrading a
    # read lock (SQLite's "database is locked", which no timeout cures).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery and Redis -------------------------------------------------------------------
REDIS_URL = env.get_str("REDIS_URL", dev_default=f"redis://127.0.0.1:{DEV_REDIS_PORT}/0", check=check_redis_url)
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep database connections across tasks (project/celery.py recycles them as Django does).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Work is also recorded in the database and swept, so a task lost with its worker is
    # re-queued by the sweeper (or the next reminder tick): Redis need not keep a copy of
    # every task in flight. Without ack emulation a worker holds its unacknowledged tasks
    # in memory and puts them back at shutdown or when a pool process dies; only a killed
    # worker loses them, to the sweeper. That halves the worker parent's CPU per task
    # (two Redis transactions fewer).
    "ack_emulation": False,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A webhook must answer Twilio quickly even when Redis is down: publish fails fast, the
# message stays recorded and the sweeper queues it once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Replies to people come first: a worker started without -Q consumes both queues, and a
# deployment can give "replies" dedicated workers (-Q replies) so that later bulk work
# (reminders) never delays a reply.
# Scheduled work (reminders, advisories) goes to "bulk" in short batches, so a worker that
# serves both queues is never busy with bulk work for longer than one batch.
CELERY_TASK_QUEUES = (Queue("replies"), Queue("bulk"), Queue("default"))
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "messaging.tasks.process_inbound": {"queue": "replies"},
    "messaging.tasks.send_message": {"queue": "replies"},
    "messaging.tasks.send_bulk": {"queue": "bulk"},
    "reminders.tasks.plan_advisory": {"queue": "bulk"},
}
REMINDER_TICK_SECONDS = env.get_float("REMINDER_TICK_SECONDS", default=15.0, minimum=1.0, maximum=60.0)
CELERY_BEAT_SCHEDULE = {
    "messaging-sweep": {
        "task": "messaging.tasks.sweep",
        "schedule": env.get_float("SWEEP_INTERVAL_SECONDS", default=30.0, minimum=1.0),
    },
    # One task for all subscribers: it claims whatever is due (never a task per subscriber).
    "reminders-tick": {
        "task": "reminders.tasks.tick",
        "schedule": REMINDER_TICK_SECONDS,
        "options": {"expires": REMINDER_TICK_SECONDS},
    },
}

# --- SMS and Twilio ---------------------------------------------------------------------
TWILIO_ACCOUNT_SID = env.get_str(
    "TWILIO_ACCOUNT_SID", required=False, check=check_pattern(r"AC[0-9a-fA-F]{32}", "AC followed by 32 hex digits")
)
TWILIO_AUTH_TOKEN = env.get_str("TWILIO_AUTH_TOKEN", required=False)
TWILIO_FROM_NUMBER = env.get_str("TWILIO_FROM_NUMBER", required=False, check=check_e164)
TWILIO_MESSAGING_SERVICE_SID = env.get_str(
    "TWILIO_MESSAGING_SERVICE_SID",
    required=False,
    check=check_pattern(r"MG[0-9a-fA-F]{32}", "MG followed by 32 hex digits"),
)
TWILIO_API_BASE_URL = env.get_str("TWILIO_API_BASE_URL", default="https://api.twilio.com", check=check_http_url)
TWILIO_API_BASE_URL = TWILIO_API_BASE_URL.rstrip("/")
TWILIO_TIMEOUT_SECONDS = env.get_float("TWILIO_TIMEOUT_SECONDS", default=10.0, minimum=0.1, maximum=60.0)

_twilio_configured = bool(TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN)
SMS_BACKEND = env.get_str(
    "SMS_BACKEND",
    default="twilio" if _twilio_configured or not DEBUG else "console",
    check=check_choice("twilio", "console"),
)
if SMS_BACKEND == "twilio":
    for _name, _value in (("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID), ("TWILIO_AUTH_TOKEN", TWILIO_AUTH_TOKEN)):
        if not _value:
            env.problems.append(
                f"{_name} is required when SMS_BACKEND is twilio (set SMS_BACKEND=console to run without Twilio)."
            )
    if not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
        env.problems.append(
            "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required when SMS_BACKEND is twilio."
        )
elif not TWILIO_AUTH_TOKEN:
    # Webhooks are always signature-checked; without Twilio, requests are signed with this
    # development token (the `sms` management command does so).
    TWILIO_AUTH_TOKEN = "dev-auth-token"  # noqa: S105 - development only, never reaches Twilio
if not TWILIO_FROM_NUMBER and not TWILIO_MESSAGING_SERVICE_SID and SMS_BACKEND != "twilio":
    TWILIO_FROM_NUMBER = "+3225550100"

SMS_BACKENDS = {
    "twilio": "messaging.backends.twilio.TwilioBackend",
    "console": "messaging.backends.console.ConsoleBackend",
    "locmem": "messaging.backends.locmem.LocmemBackend",
}
# How long a process may use its keyword index before re-reading keywords from the database.
CONTENT_CACHE_SECONDS = env.get_float("CONTENT_CACHE_SECONDS", default=10.0, minimum=0.0)
# Serves /bench/empty/ (a bare view returning empty TwiML): the ceiling the benchmark compares with.
BENCHMARK_ENDPOINTS = env.get_bool("BENCHMARK_ENDPOINTS", default=False)
SMS_REPLY_LIMIT_PER_HOUR = env.get_int("SMS_REPLY_LIMIT_PER_HOUR", default=20, minimum=1)
SMS_SEND_MAX_ATTEMPTS = env.get_int("SMS_SEND_MAX_ATTEMPTS", default=6, minimum=1, maximum=20)
SMS_RETRY_BASE_SECONDS = env.get_float("SMS_RETRY_BASE_SECONDS", default=2.0, minimum=0.0)
SMS_RETRY_MAX_SECONDS = env.get_float("SMS_RETRY_MAX_SECONDS", default=300.0, minimum=0.0)
# How long recorded work may wait before the sweeper re-queues it (its task was lost).
SMS_STALE_AFTER_SECONDS = env.get_float("SMS_STALE_AFTER_SECONDS", default=60.0, minimum=1.0)
if SMS_STALE_AFTER_SECONDS <= 2 * TWILIO_TIMEOUT_SECONDS:
    # Else the sweeper could take a send that is still waiting for Twilio's answer.
    env.problems.append("SMS_STALE_AFTER_SECONDS must be more than twice TWILIO_TIMEOUT_SECONDS.")
# A global limit per sending number (or messaging service), shared by every worker on every
# machine through Redis. Replies are never held back by it, but they count against it.
SMS_RATE_LIMIT_PER_SECOND = env.get_float("SMS_RATE_LIMIT_PER_SECOND", default=10.0, minimum=0.0)
SMS_BULK_BATCH_SIZE = env.get_int("SMS_BULK_BATCH_SIZE", default=100, minimum=1, maximum=1000)
SMS_BULK_SENDERS = env.get_int("SMS_BULK_SENDERS", default=4, minimum=1, maximum=200)

# --- Reminders --------------------------------------------------------------------------
REMINDER_DEFAULT_TIME_ZONE = env.get_str("REMINDER_DEFAULT_TIME_ZONE", default="Europe/Brussels", check=check_time_zone)
REMINDER_QUIET_HOURS = env.get_str(
    "REMINDER_QUIET_HOURS", default="21:00-08:00", check=check_pattern(r"\d{2}:\d{2}-\d{2}:\d{2}", "HH:MM-HH:MM")
)
REMINDER_DEFAULT_TIMES = env.get_str("REMINDER_DEFAULT_TIMES", default="09:00 13:00 17:00", check=check_times)
REMINDER_MAX_TIMES = env.get_int("REMINDER_MAX_TIMES", default=6, minimum=1, maximum=24)
REMINDER_GRACE_MINUTES = env.get_float("REMINDER_GRACE_MINUTES", default=15.0, minimum=0.0, maximum=120.0)
REMINDER_PAUSE_MAX_DAYS = env.get_int("REMINDER_PAUSE_MAX_DAYS", default=365, minimum=1)
if not env.problems:
    from reminders.schedule import parse_times, quiet_hours_from_setting

    _quiet = quiet_hours_from_setting(REMINDER_QUIET_HOURS)
    _default_times = parse_times(REMINDER_DEFAULT_TIMES).times
    if _quiet is None:
        env.problems.append("REMINDER_QUIET_HOURS must be two valid times, such as 21:00-08:00.")
    elif any(_quiet.contains(at) for at in _default_times):
        env.problems.append("REMINDER_DEFAULT_TIMES must lie outside REMINDER_QUIET_HOURS.")
    if len(_default_times) > REMINDER_MAX_TIMES:
        env.problems.append("REMINDER_DEFAULT_TIMES has more times than REMINDER_MAX_TIMES allows.")

PHONE_DEFAULT_REGION = env.get_str(
    "PHONE_DEFAULT_REGION", default="BE", check=check_pattern(r"[A-Z]{2}", "a two-letter country code")
)
DEFAULT_LANGUAGE = env.get_str(
    "DEFAULT_LANGUAGE", default="en", check=check_pattern(r"[a-z]{2,3}(-[a-z0-9]+)?", "a language code such as en")
)

# --- Internationalisation ---------------------------------------------------------------
# The admin's own languages. The languages people are answered in are data (advice.Language).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locales"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

# --- Static files, security -------------------------------------------------------------
STATIC_URL = "static/"
# The admin's static files are served by WhiteNoise straight from the installed apps, so
# the production processes need no collectstatic step.
WHITENOISE_USE_FINDERS = True
CSRF_TRUSTED_ORIGINS = (
    [f"{urlsplit(PUBLIC_BASE_URL).scheme}://{urlsplit(PUBLIC_BASE_URL).netloc}"] if PUBLIC_BASE_URL else []
)
if env.get_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG and PUBLIC_BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env.get_str("LOG_LEVEL", default="INFO", check=check_choice("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "advice": {"level": LOG_LEVEL},
        "reminders": {"level": LOG_LEVEL},
        "messaging": {"level": LOG_LEVEL},
        "project": {"level": LOG_LEVEL},
    },
}

env.fail_if_problems()
