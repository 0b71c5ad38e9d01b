"""The Celery application: `celery -A project worker` and `celery -A project beat`."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender: Any = None, **kwargs: Any) -> None:
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
