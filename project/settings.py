"""Django settings, read from the environment (see the README's Configuration section).

With `DJANGO_DEBUG` off (the default) every required variable must be set and well formed,
or start-up stops with one message listing every problem. With `DJANGO_DEBUG=1` missing
variables take development defaults: SQLite in `.dev/`, the embedded Redis on port 6380,
and the console SMS backend.
"""

from __future__ import annotations

from datetime import timedelta
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
from project.middleware import static_file_headers

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
    # The admin site with two-factor authentication (project/admin_site.py).
    "project.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "simple_history",
    "advice",
    "contacts",
    "reminders",
    "messaging",
    "privacy",
    "conversation",
    "sms",
    "voice",
    "dashboard",
    "tryit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside WhiteNoise, so static files get the Content-Security-Policy too.
    "project.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records which admin user made each change in the content history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers locked-out logins with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
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
    # A webhook publishes its task while Twilio waits (15 s in all, then retries or falls
    # back): a Redis that accepts connections but never answers (stopped, overloaded, a
    # half-open connection) must cost it well under a second. Every command here is a
    # small write or a read whose data is already waiting (the worker's BRPOP is read only
    # once its socket is readable), so half a second is generous for a healthy Redis.
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    # Opening a channel to publish tries once: kombu would otherwise retry for
    # broker_connection_timeout (4 s), sleeping 2 s between tries. The worker's consumer is
    # not affected: it reconnects under broker_connection_max_retries.
    "max_retries": 0,
}
# No retrying a publish: the message is recorded before it is queued and the sweeper queues
# it once Redis answers again, while each retry would hold the webhook another timeout.
CELERY_TASK_PUBLISH_RETRY = False
# Replies to people come first: a worker started without -Q consumes both queues, and a
# deployment can give "replies" dedicated workers (-Q replies) so that later bulk work
# (reminders) never delays a reply.
# Scheduled work (reminders, advisories) goes to "bulk" in short batches, so a worker that
# serves both queues is never busy with bulk work for longer than one batch.
CELERY_TASK_QUEUES = (Queue("replies"), Queue("bulk"), Queue("default"))
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "sms.tasks.process_inbound": {"queue": "replies"},
    # The name it had before the SMS channel was an app of its own (tasks queued before a deploy).
    "messaging.tasks.process_inbound": {"queue": "replies"},
    "messaging.tasks.send_message": {"queue": "replies"},
    "messaging.tasks.send_bulk": {"queue": "bulk"},
    "reminders.tasks.place_calls": {"queue": "bulk"},
    "reminders.tasks.plan_advisory": {"queue": "bulk"},
}
REMINDER_TICK_SECONDS = env.get_float("REMINDER_TICK_SECONDS", default=15.0, minimum=1.0, maximum=60.0)
SWEEP_INTERVAL_SECONDS = env.get_float("SWEEP_INTERVAL_SECONDS", default=30.0, minimum=1.0)
# How often the channel layer looks for scheduled messages waiting and starts bulk senders.
SMS_BULK_START_SECONDS = env.get_float("SMS_BULK_START_SECONDS", default=5.0, minimum=1.0, maximum=60.0)
CELERY_BEAT_SCHEDULE = {
    "messaging-sweep": {"task": "messaging.tasks.sweep", "schedule": SWEEP_INTERVAL_SECONDS},
    "sms-sweep-inbound": {"task": "sms.tasks.sweep_inbound", "schedule": SWEEP_INTERVAL_SECONDS},
    # One task for all reminder plans: it claims whatever is due (never a task per contact).
    "privacy-retention": {"task": "privacy.tasks.retention", "schedule": 3600.0},
    # Twilio records left to delete after an erasure (a lost task, a failed attempt).
    "privacy-twilio-delete": {"task": "privacy.tasks.twilio_delete", "schedule": 300.0},
    # Bulk senders for whatever scheduled messages wait (reminders, advisories): whoever
    # schedules them only writes rows.
    "messaging-start-senders": {
        "task": "messaging.tasks.start_senders",
        "schedule": SMS_BULK_START_SECONDS,
        "options": {"expires": SMS_BULK_START_SECONDS},
    },
    "reminders-tick": {
        "task": "reminders.tasks.tick",
        "schedule": REMINDER_TICK_SECONDS,
        "options": {"expires": REMINDER_TICK_SECONDS},
    },
    # The dashboard's daily counts (today and yesterday, rewritten: idempotent).
    "dashboard-aggregate": {
        "task": "dashboard.tasks.aggregate",
        "schedule": env.get_float("DASHBOARD_AGGREGATE_SECONDS", default=300.0, minimum=10.0),
        "options": {"expires": 300.0},
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
# An approved text is due for another clinical review this many years after its approval.
CONTENT_REVIEW_YEARS = env.get_int("CONTENT_REVIEW_YEARS", default=3, minimum=1, maximum=10)
# Serves /bench/empty/ (a bare view returning empty TwiML): the ceiling the benchmark compares with.
BENCHMARK_ENDPOINTS = env.get_bool("BENCHMARK_ENDPOINTS", default=False)
SMS_REPLY_LIMIT_PER_HOUR = env.get_int("SMS_REPLY_LIMIT_PER_HOUR", default=20, minimum=1)
SMS_SEND_MAX_ATTEMPTS = env.get_int("SMS_SEND_MAX_ATTEMPTS", default=6, minimum=1, maximum=20)
# The retry budget is time as well as a count: a message with retryable errors (5xx, 429,
# network) gives up only once it has had SMS_SEND_MAX_ATTEMPTS attempts AND is older than
# this, so an outage shorter than the window loses nothing.
SMS_RETRY_WINDOW_MINUTES = env.get_float("SMS_RETRY_WINDOW_MINUTES", default=60.0, minimum=0.0, maximum=1440.0)
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

# --- Voice (the phone menu) -------------------------------------------------------------
# A call ends politely (voice-time-limit, then hang up) once it is this old: no call loops forever.
VOICE_MAX_CALL_SECONDS = env.get_int("VOICE_MAX_CALL_SECONDS", default=600, minimum=30, maximum=14_400)
# How long a menu waits for a key (or words) after its last word, before asking once more.
VOICE_INPUT_TIMEOUT_SECONDS = env.get_int("VOICE_INPUT_TIMEOUT_SECONDS", default=6, minimum=1, maximum=30)

# --- Privacy ----------------------------------------------------------------------------
# Key of the HMAC that remembers erased numbers (FORGET) without storing them; never in the
# database. Changing it forgets every suppression (those numbers could be texted again).
SUPPRESSION_HMAC_KEY = env.get_str("SUPPRESSION_HMAC_KEY", dev_default="dev-only-insecure-suppression-key")
# Message texts (in and out) are blanked after this many days; counts stay, without a person.
MESSAGE_RETENTION_DAYS = env.get_int("MESSAGE_RETENTION_DAYS", default=90, minimum=1)
# Contacts with no message for this many days and no reminders are erased, as by FORGET.
CONTACT_RETENTION_DAYS = env.get_int("CONTACT_RETENTION_DAYS", default=730, minimum=1)
RETENTION_BATCH_SIZE = env.get_int("RETENTION_BATCH_SIZE", default=1000, minimum=1, maximum=10_000)
# How long after a FORGET confirmation the erasure starts (the confirmation must be sent first).
FORGET_ERASE_AFTER_SECONDS = env.get_float("FORGET_ERASE_AFTER_SECONDS", default=30.0, minimum=0.0, maximum=110.0)

# --- Dashboard (cost estimate) ---------------------------------------------------------
# Prices for the dashboard's cost estimate; 0 (the default) shows segments and minutes only.
COST_PER_SEGMENT = env.get_float("COST_PER_SEGMENT", default=0.0, minimum=0.0)
COST_PER_CALL_MINUTE = env.get_float("COST_PER_CALL_MINUTE", default=0.0, minimum=0.0)
COST_CURRENCY = env.get_str(
    "COST_CURRENCY", default="EUR", check=check_pattern(r"[A-Z]{3}", "a three-letter currency code such as EUR")
)

# --- Reminders --------------------------------------------------------------------------
REMINDER_DEFAULT_TIME_ZONE = env.get_str("REMINDER_DEFAULT_TIME_ZONE", default="Europe/Brussels", check=check_time_zone)
REMINDER_QUIET_HOURS = env.get_str(
    "REMINDER_QUIET_HOURS", default="21:00-08:00", check=check_pattern(r"\d{2}:\d{2}-\d{2}:\d{2}", "HH:MM-HH:MM")
)
REMINDER_DEFAULT_TIMES = env.get_str("REMINDER_DEFAULT_TIMES", default="09:00 13:00 17:00", check=check_times)
# REMIND alone: each contact's default times move by a fixed number of minutes within this
# window (20: 08:50-09:10 for 09:00), so that the defaults do not make one wave per time.
REMINDER_DEFAULT_SPREAD_MINUTES = env.get_int("REMINDER_DEFAULT_SPREAD_MINUTES", default=20, minimum=0, maximum=120)
REMINDER_MAX_TIMES = env.get_int("REMINDER_MAX_TIMES", default=6, minimum=1, maximum=24)
REMINDER_GRACE_MINUTES = env.get_float("REMINDER_GRACE_MINUTES", default=15.0, minimum=0.0, maximum=120.0)
REMINDER_PAUSE_MAX_DAYS = env.get_int("REMINDER_PAUSE_MAX_DAYS", default=365, minimum=1)

# --- Reminder calls (issue 11) ----------------------------------------------------------
# Reminders as a short phone call, for people who chose calls (`REMIND CALL`, menu 8).
VOICE_BACKEND = env.get_str(
    "VOICE_BACKEND",
    default="twilio" if _twilio_configured or not DEBUG else "console",
    check=check_choice("twilio", "console"),
)
VOICE_BACKENDS = {
    "twilio": "messaging.backends.twilio_voice.TwilioVoiceBackend",
    "console": "messaging.backends.console_voice.ConsoleVoiceBackend",
    "locmem": "messaging.backends.locmem_voice.LocmemVoiceBackend",
}
# Twilio's calls per second for the account (1 unless Twilio raised it), shared by every
# worker through Redis; 0 places calls without waiting (tests, the benchmark's "no limit").
VOICE_CALLS_PER_SECOND = env.get_float("VOICE_CALLS_PER_SECOND", default=1.0, minimum=0.0)
# Busy, no answer and retryable failures: another attempt this many minutes later, at most
# VOICE_MAX_ATTEMPTS in all, never in the quiet hours, never after VOICE_GRACE_MINUTES.
VOICE_RETRY_MINUTES = env.get_float("VOICE_RETRY_MINUTES", default=10.0, minimum=1.0, maximum=240.0)
VOICE_MAX_ATTEMPTS = env.get_int("VOICE_MAX_ATTEMPTS", default=3, minimum=1, maximum=10)
VOICE_GRACE_MINUTES = env.get_float("VOICE_GRACE_MINUTES", default=60.0, minimum=1.0, maximum=600.0)
# After the last failed attempt, the reminder as a text message (if the person may receive texts).
VOICE_FALLBACK_TO_SMS = env.get_bool("VOICE_FALLBACK_TO_SMS", default=True)
# How long a reminder call rings (Twilio's Timeout) and may last at most (TimeLimit).
VOICE_RING_SECONDS = env.get_int("VOICE_RING_SECONDS", default=40, minimum=5, maximum=600)
VOICE_REMINDER_TIME_LIMIT_SECONDS = env.get_int(
    "VOICE_REMINDER_TIME_LIMIT_SECONDS", default=180, minimum=30, maximum=14_400
)
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
# A new number's language for words several languages share (INFO, MAGNESIUM), by its country
# calling code; countries with several languages (Belgium, Switzerland, Canada) are left out,
# so the languages' priority decides there.
LANGUAGE_BY_COUNTRY_CODE = env.get_str(
    "LANGUAGE_BY_COUNTRY_CODE",
    default="31:nl,33:fr,352:fr,377:fr,43:de,49:de,423:de,1:en,44:en,353:en",
    check=check_pattern(
        r"(\d{1,3}:[a-z]{2,3}(,\d{1,3}:[a-z]{2,3})*)?", "a list such as 33:fr,49:de (calling code:language)"
    ),
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
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto: trust it (and only then), so
# that the SSL redirect and secure cookies see the request as https.
if env.get_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production defaults are the safe ones; development (DJANGO_DEBUG=1) runs on plain http.
SECURE_SSL_REDIRECT = env.get_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's health check may call plain http inside the network; Twilio never
# follows a redirect of its POST (it signs the https PUBLIC_BASE_URL it was given anyway).
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^twilio/"]
SECURE_HSTS_SECONDS = env.get_int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.get_bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' preload list binds the whole domain and its subdomains to https for
# months, whoever else runs them: the operator's decision, not a default. Django warns about
# it (W021); the warning is silenced as long as it is left off on purpose.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = env.get_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.get_int("ADMIN_SESSION_HOURS", default=12, minimum=1) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The admin and every page: nothing from elsewhere, no inline scripts, no framing. Inline
# style attributes are allowed (the admin's own templates and its size warnings use them).
CONTENT_SECURITY_POLICY = env.get_str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
)
# WhiteNoise wants the function itself (it serves static files before any middleware of ours).
WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers

# --- The admin --------------------------------------------------------------------------
# The admin can run on processes (or hosts) of its own, so that password hashing never
# holds up a webhook: ADMIN_ENABLED=0 on the webhook processes, 1 on the admin's (README).
ADMIN_ENABLED = env.get_bool("ADMIN_ENABLED", default=True)
ADMIN_URL = env.get_str(
    "ADMIN_URL",
    default="/admin/",
    check=check_pattern(r"/([A-Za-z0-9_-]+/)+", "a path such as /admin/ (letters, digits, - and _, slashes around)"),
)
# The try-it phone (tryit) without signing in, at /try/: for the embedded default only. The
# admin's own try-it page (ADMIN_URL + "try/") is always there for staff.
TRY_IT_PUBLIC = env.get_bool("TRY_IT_PUBLIC", default=DEBUG)
# Staff who set up an authenticator app (TOTP) must use it; superusers must have one when this is on.
ADMIN_REQUIRE_2FA = env.get_bool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.get_str("OTP_TOTP_ISSUER", default="Leg cramps SMS")
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is hashed.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: 5 failures lock the account and, separately, the address, for
# ADMIN_LOCKOUT_MINUTES; the state is in the database (AxesDatabaseHandler), so every
# process and host sees it. A locked-out login is answered 429 with a message to wait.
AXES_FAILURE_LIMIT = env.get_int("ADMIN_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.get_int("ADMIN_LOCKOUT_MINUTES", default=30, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# The client's address when a proxy sits in front: the header it sets, right-most entry.
ADMIN_CLIENT_IP_HEADER = env.get_str(
    "ADMIN_CLIENT_IP_HEADER",
    required=False,
    check=check_pattern(r"[A-Za-z0-9-]+", "a header name such as X-Forwarded-For"),
)
AXES_CLIENT_IP_CALLABLE = "project.admin_site.client_ip"
# Axes logs attempts with the username and address; numbers are masked by the log filters.
AXES_VERBOSE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env.get_str("LOG_LEVEL", default="INFO", check=check_choice("DEBUG", "INFO", "WARNING", "ERROR"))
# Every line goes through one handler whose filters mask phone numbers and drop request
# query strings (project/logfilters.py). Third-party loggers that would print a number or a
# request are held at WARNING whatever LOG_LEVEL says: the `twilio` client logs every request
# (the number in its URL or parameters) at INFO, urllib3 every URL at DEBUG.
THIRD_PARTY_LOG_LEVEL = env.get_str(
    "THIRD_PARTY_LOG_LEVEL", default="WARNING", check=check_choice("DEBUG", "INFO", "WARNING", "ERROR")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_numbers": {"()": "project.logfilters.RedactPhoneNumbers"},
        "drop_query_strings": {"()": "project.logfilters.DropQueryStrings"},
        "quiet_routine_tasks": {"()": "project.logfilters.QuietRoutineTasks"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["quiet_routine_tasks", "drop_query_strings", "redact_numbers"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "advice": {"level": LOG_LEVEL},
        "contacts": {"level": LOG_LEVEL},
        "reminders": {"level": LOG_LEVEL},
        "messaging": {"level": LOG_LEVEL},
        "privacy": {"level": LOG_LEVEL},
        "conversation": {"level": LOG_LEVEL},
        "sms": {"level": LOG_LEVEL},
        "voice": {"level": LOG_LEVEL},
        "dashboard": {"level": LOG_LEVEL},
        "tryit": {"level": LOG_LEVEL},
        "project": {"level": LOG_LEVEL},
        # Django's own default handler for "django" would print each of its lines a second
        # time (a request's warning, the autoreloader) beside this one, in another format.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # runserver prints every request, a 404 included (django.server): in development the
        # same 404 or 403 is not printed a second time as a warning of its own; errors are.
        "django.request": {"level": "ERROR" if DEBUG else "WARNING"},
        "twilio": {"level": THIRD_PARTY_LOG_LEVEL},
        "urllib3": {"level": THIRD_PARTY_LOG_LEVEL},
        # runserver's request lines: through the console handler (its filters), not Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # SQL with its parameters (numbers, bodies) when DEBUG is on: never.
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        "axes": {"level": THIRD_PARTY_LOG_LEVEL},
    },
}
# Celery keeps this configuration (and its filters) instead of installing its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

env.fail_if_problems()
