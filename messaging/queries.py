"""The message statements every keyword reply runs, written as SQL.

A reply ran about ten ORM statements, and building and compiling them took most of the
worker's CPU per reply (a profile: 0.4 to 1.2 ms each on a 2-core server; the statements
themselves cost PostgreSQL far less). Written out, each costs 0.1 to 0.3 ms. Each function
names the ORM query it stands for; all run on PostgreSQL and on SQLite (no row locks
there: its transactions take the write lock at BEGIN, see settings).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from messaging.models import Message
from messaging.rows import fetch_one

# What handling an inbound message reads; other fields load if something reads them.
_INBOUND = "SELECT id, state, phone_number, service_number, body, params FROM messaging_message WHERE id = %s"
_INBOUND_FOR_UPDATE = _INBOUND + " FOR UPDATE"

_REPLIES_SINCE = (
    "SELECT count(*) FROM messaging_message WHERE contact_id = %s AND purpose = %s AND created_at >= %s AND state <> %s"
)


def inbound_for_update(message_id: int) -> Message | None:
    """Message.objects.select_for_update().filter(pk=message_id).first()"""
    sql = _INBOUND_FOR_UPDATE if connection.features.has_select_for_update else _INBOUND
    return fetch_one(Message, sql, [message_id])


def replies_count_since(contact_id: int, since: datetime) -> int:
    """Message.objects.filter(contact=..., purpose=REPLY, created_at__gte=since)
    .exclude(state=CANCELLED).count()"""
    with connection.cursor() as cursor:
        cursor.execute(
            _REPLIES_SINCE,
            [
                contact_id,
                Message.Purpose.REPLY,
                connection.ops.adapt_datetimefield_value(since),
                Message.State.CANCELLED,
            ],
        )
        row = cursor.fetchone()
    return int(row[0])


def submitted_set(message_id: int, *, sid: str, status: str, lower: list[str], now: datetime) -> None:
    """Message.objects.filter(pk=message_id).update(state=SUBMITTED, provider_sid=sid,
    provider_status=Case(When(provider_status__in=lower, then=status), default=F("provider_status")),
    submitted_at=now, uncertain=False, next_attempt_at=None, error_code=None, error_message="",
    updated_at=now)

    `lower`: the statuses `status` may replace (a status callback may have come first).
    """
    placeholders = ", ".join(["%s"] * len(lower))
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE messaging_message SET state = %s, provider_sid = %s,"  # noqa: S608 (only placeholders added)
            f" provider_status = CASE WHEN provider_status IN ({placeholders}) THEN %s ELSE provider_status END,"
            " submitted_at = %s, uncertain = %s, next_attempt_at = NULL, error_code = NULL, error_message = '',"
            " updated_at = %s WHERE id = %s",
            [Message.State.SUBMITTED, sid, *lower, status, at, False, at, message_id],
        )
