"""Test settings: the production settings module, read with a test environment.

Defaults need nothing installed: SQLite in a file (a worker subprocess shares it) and an
embedded Redis that the test session starts. Set DATABASE_URL / REDIS_URL to test against
PostgreSQL and a real Redis (.ci/run does).
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
(_ROOT / ".dev").mkdir(exist_ok=True)  # the SQLite test database lives there
_TEST_DEFAULTS = {
    "DJANGO_DEBUG": "0",
    # The test client speaks plain http; the redirect itself is tested with it switched on.
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECRET_KEY": "test-secret-key",
    "SUPPRESSION_HMAC_KEY": "test-suppression-key",
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "DATABASE_URL": f"sqlite:///{_ROOT / '.dev' / 'test-db.sqlite3'}",
    "REDIS_URL": "redis://127.0.0.1:6399/0",  # replaced by the embedded server when not set
    "PUBLIC_BASE_URL": "https://cramps.example.org",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "TWILIO_FROM_NUMBER": "+3225550100",
    "SMS_BACKEND": "twilio",
    "DEFAULT_LANGUAGE": "en",
}
# Tests start an embedded Redis unless one is given.
TEST_REDIS_URL_GIVEN = bool(os.environ.get("REDIS_URL"))
for _name, _value in _TEST_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from project.settings import *  # noqa: E402,F403
from project.settings import BASE_DIR, DATABASES  # noqa: E402

SMS_BACKEND = "locmem"
VOICE_BACKEND = "locmem"
VOICE_CALLS_PER_SECOND = 0.0
# No waiting for the rate limiter (and no Redis) unless a test asks for it.
SMS_RATE_LIMIT_PER_SECOND = 0.0
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
FORGET_ERASE_AFTER_SECONDS = 0.0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".dev" / "test-db.sqlite3")}
