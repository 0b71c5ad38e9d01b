"""A worker's kept database connection between tasks: one PostgreSQL closed while it sat idle
is replaced before the next task uses it, and a sound one is used without a SELECT 1 first."""

from __future__ import annotations

import time

import psycopg
import pytest
from celery.signals import task_prerun
from django.db import connection

from project.celery import _recycle_database_connections

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (SQLite has no server)"),
]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def before_a_task() -> None:
    _recycle_database_connections(sender=None, signal=task_prerun)


def test_a_sound_idle_connection_is_kept_without_a_query_first(monkeypatch: pytest.MonkeyPatch) -> None:
    pid = backend_pid()
    checks = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())

    before_a_task()

    assert backend_pid() == pid
    assert checks == []  # no SELECT 1 round trip


def test_a_connection_the_server_closed_while_idle_is_replaced_before_the_task_uses_it() -> None:
    pid = backend_pid()
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's goodbye reaches the socket

    before_a_task()

    assert backend_pid() != pid
