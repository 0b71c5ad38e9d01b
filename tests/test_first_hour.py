"""A newcomer's first hour with ./run: the addresses printed last, after every banner; the
beat schedule's own tasks quiet at the default log level; a request's warning printed once;
every process in the same time zone."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings

from project import dev
from project.logfilters import QuietRoutineTasks


def record(name: str, message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_the_reminder_tick_and_the_sweep_are_quiet_at_info() -> None:
    quiet = QuietRoutineTasks()

    assert not quiet.filter(record("celery.beat", "Scheduler: Sending due task reminders-tick (reminders.tasks.tick)"))
    assert not quiet.filter(record("celery.worker.strategy", "Task messaging.tasks.sweep[3b1d] received"))
    assert not quiet.filter(record("celery.app.trace", "Task reminders.tasks.tick[b168] succeeded in 0.06s: None"))
    # A person's message, and any failure, still show.
    assert quiet.filter(record("celery.app.trace", "Task messaging.tasks.process_inbound[ae69] succeeded in 0.01s"))
    assert quiet.filter(record("celery.app.trace", "Task reminders.tasks.tick[b168] raised", logging.ERROR))
    assert quiet.filter(record("reminders.scheduler", "tick: 3 reminders planned"))


def test_they_show_again_at_debug(settings: Any) -> None:
    settings.LOG_LEVEL = "DEBUG"

    assert QuietRoutineTasks().filter(record("celery.beat", "Scheduler: Sending due task x (reminders.tasks.tick)"))


def test_a_request_warning_reaches_one_handler_once() -> None:
    # Django's default configuration gives "django" a console handler of its own, which
    # printed each request warning (and the autoreloader's line) a second time.
    django = settings.LOGGING["loggers"]["django"]
    assert django["handlers"] == ["console"] and django["propagate"] is False
    assert settings.LOGGING["loggers"]["django.server"]["propagate"] is False
    # runserver prints each request itself, a 404 included: not again as django.request's warning.
    assert settings.LOGGING["loggers"]["django.request"]["level"] == ("ERROR" if settings.DEBUG else "WARNING")


def test_every_process_logs_in_the_services_time_zone() -> None:
    assert dev.TIME_ZONE == settings.TIME_ZONE  # Redis gets TZ; Django sets it for its own processes


def test_run_prints_the_addresses_after_every_banner(monkeypatch: Any) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(dev, "STARTUP_WAIT_SECONDS", 20)
    banners = {
        "web": "print('Starting development server'); print('Quit the server with CONTROL-C.')",
        "worker": "print(' -- celery@vm v5'); print('celery@vm ready.')",
        "beat": "print('celery beat v5.7.0 (collider) is starting.')",
    }
    ready = {name: threading.Event() for name in banners}
    processes = [
        (name, subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        for name, code in banners.items()
    ]
    relays = [threading.Thread(target=dev._relay, args=(n, p, ready[n])) for n, p in processes]
    for relay in relays:
        relay.start()

    dev._announce(ready)
    for relay in relays:
        relay.join(10)

    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert lines[-5].startswith("[dev] Ready. Try the service in your browser: http://")
    assert lines[-5].endswith("/ (a phone: type KRAMP)")
    assert "/admin/ (user admin, password admin)" in lines[-4]
    assert lines[-1] == "[dev] Ctrl-C stops everything."
    assert lines.index("[worker] celery@vm ready.") < len(lines) - 5
