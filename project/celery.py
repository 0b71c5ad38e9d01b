"""The Celery application: `celery -A project worker` and `celery -A project beat`."""

from __future__ import annotations

import os
import select
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender: Any = None, signal: Any = None, **kwargs: Any) -> None:
    """Treat each task as Django treats a request: keep a healthy connection, drop a bad one.

    Celery's own fixup would close every connection around every task (a new PostgreSQL
    backend per message) unless CELERY_DB_REUSE_MAX is set, and with it set it would never
    check them. Settings set CELERY_DB_REUSE_MAX; this applies CONN_MAX_AGE and drops a
    connection that errored, as Django's request_started/finished handlers do.
    """
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
    if signal is task_prerun:
        _check_idle_connections()


def _check_idle_connections() -> None:
    """Django's health check (CONN_HEALTH_CHECKS), without a round trip per task.

    Django checks a kept connection with `SELECT 1` before each request's first query: in
    a worker, a round trip per task (5 % of a keyword reply's CPU). A PostgreSQL connection
    that the server closed while it sat idle (a restart, pg_terminate_backend, an idle
    timeout) has something to read (the server's goodbye, or the end of the stream); a
    sound idle one has nothing. Readable: closed now, so the task reconnects. A query that
    fails anyway marks the connection, and the next task's close_old_connections drops it.
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        # health_check_done: Django's own flag (4.1+), which django-stubs does not declare.
        checked = connection.health_check_done  # type: ignore[attr-defined]
        if connection.vendor != "postgresql" or connection.connection is None or checked:
            continue
        poller = select.poll()
        poller.register(connection.connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        if poller.poll(0):
            connection.close()
        else:
            connection.health_check_done = True  # type: ignore[attr-defined]
