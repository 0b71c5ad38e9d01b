"""Configuration: with debug off, a missing or malformed setting stops start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.env import Settings, check_e164, check_http_url

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_SECRET_KEY": "s3cret",
    "DJANGO_ALLOWED_HOSTS": "cramps.example.org",
    "DATABASE_URL": "postgres://u:p@db:5432/cramps",
    "REDIS_URL": "redis://redis:6379/0",
    "PUBLIC_BASE_URL": "https://cramps.example.org",
    "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+3225550100",
    "SUPPRESSION_HMAC_KEY": "suppression-secret",
}


def start(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the real settings module in a fresh interpreter, as gunicorn or celery would."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='project.settings';"
            " django.setup(); from django.conf import settings; print('SMS_BACKEND', settings.SMS_BACKEND)",
        ],
        cwd=ROOT,
        env={**keep, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_starts_with_a_complete_production_environment() -> None:
    result = start(PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "SMS_BACKEND twilio" in result.stdout


def test_it_refuses_to_start_listing_every_missing_setting() -> None:
    result = start({})

    assert result.returncode != 0
    for name in [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
        "SUPPRESSION_HMAC_KEY",
    ]:
        assert name in result.stderr
    assert "The service cannot start" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PUBLIC_BASE_URL", "cramps.example.org", "must be an absolute http:// or https:// URL"),
        ("DATABASE_URL", "mysql://x", "must be a postgres:// or sqlite:/// URL"),
        ("REDIS_URL", "localhost:6379", "must be a redis://"),
        ("TWILIO_ACCOUNT_SID", "SK123", "AC followed by 32 hex digits"),
        ("TWILIO_FROM_NUMBER", "0470123456", "E.164"),
        ("TWILIO_MESSAGING_SERVICE_SID", "MG1", "MG followed by 32 hex digits"),
        ("SMS_BACKEND", "carrier-pigeon", "must be one of twilio, console"),
        ("DJANGO_DEBUG", "maybe", "must be one of 1/0"),
        ("SMS_REPLY_LIMIT_PER_HOUR", "lots", "must be a number"),
        ("SMS_REPLY_LIMIT_PER_HOUR", "0", "must be at least 1"),
        ("TWILIO_TIMEOUT_SECONDS", "600", "at most 60"),
        ("SMS_STALE_AFTER_SECONDS", "15", "more than twice TWILIO_TIMEOUT_SECONDS"),
        ("LANGUAGE_BY_COUNTRY_CODE", "France:fr", "calling code:language"),
        ("SMS_RETRY_WINDOW_MINUTES", "an hour", "must be a number"),
        ("SMS_RETRY_WINDOW_MINUTES", "-5", "must be at least 0.0 and at most 1440.0"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_its_name(name: str, value: str, message: str) -> None:
    result = start({**PRODUCTION, name: value})

    assert result.returncode != 0
    assert name in result.stderr
    assert message in result.stderr


def test_the_console_backend_runs_without_twilio_when_asked_for() -> None:
    environ = {k: v for k, v in PRODUCTION.items() if not k.startswith("TWILIO")}
    result = start({**environ, "SMS_BACKEND": "console"})

    assert result.returncode == 0, result.stderr
    assert "SMS_BACKEND console" in result.stdout


def test_debug_mode_needs_nothing() -> None:
    result = start({"DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert "SMS_BACKEND console" in result.stdout


def test_twilio_becomes_the_default_once_credentials_are_set_even_in_debug() -> None:
    result = start(
        {
            "DJANGO_DEBUG": "1",
            "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_FROM_NUMBER": "+3225550100",
        }
    )

    assert "SMS_BACKEND twilio" in result.stdout


def test_problems_are_collected_not_raised_one_by_one() -> None:
    env = Settings({"DJANGO_DEBUG": "0", "X_URL": "nope"})
    env.get_str("A_REQUIRED")
    env.get_str("X_URL", check=check_http_url)

    with pytest.raises(ImproperlyConfigured) as error:
        env.fail_if_problems()
    assert "2 setting(s)" in str(error.value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("+3225550100", True), ("+32 2 555 01 00", False), ("025550100", False), ("+1", False), ("hello", False)],
)
def test_e164_check(value: str, ok: bool) -> None:
    assert (check_e164(value) is None) is ok


def test_every_app_of_the_service_logs_at_the_configured_level() -> None:
    from django.apps import apps
    from django.conf import settings as configured

    ours = [config.label for config in apps.get_app_configs() if Path(config.path).parent == ROOT]

    assert "sms" in ours
    assert [label for label in ours if label not in configured.LOGGING["loggers"]] == []
