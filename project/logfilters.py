"""Logging filters that keep personal data out of every log line the service writes.

Installed on the one console handler (settings.LOGGING), so they apply to every logger that
reaches it, the service's own and third parties' (`twilio`, `urllib3`, Celery, Django):
- `RedactPhoneNumbers` masks any phone number in the final text, as contacts.phone.masked
  does, including a traceback's text;
- `DropQueryStrings` removes the query string from request lines (runserver's
  `django.server` logger), where an admin search (`?q=...`) would put a number in clear;
- `QuietRoutineTasks` drops Celery's INFO lines about the beat schedule's own tasks (the
  reminder tick, the sweep: sent, received, succeeded, every few seconds) unless LOG_LEVEL is
  DEBUG; their failures, and every other task, are logged as before.

Message bodies are never logged by the service's own code; these filters are the net under
that rule, not its only guard.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings

from contacts.phone import mask_numbers

_QUERY = re.compile(r"\?[^\s\"]*")


class RedactPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed call: logging reports it itself
            return True
        redacted = mask_numbers(text)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_numbers(record.exc_text)
        return True


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in ("django.server", "gunicorn.access") or record.name.startswith("django.request"):
            try:
                text = record.getMessage()
            except Exception:
                return True
            stripped = _QUERY.sub("?…", text)
            if stripped != text:
                record.msg, record.args = stripped, None
        return True


_CELERY_CHATTER = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class QuietRoutineTasks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or record.name not in _CELERY_CHATTER or settings.LOG_LEVEL == "DEBUG":
            return True
        try:
            text = record.getMessage()
        except Exception:
            return True
        routine = {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        return not any(f"{task}[" in text or f"({task})" in text for task in routine)
