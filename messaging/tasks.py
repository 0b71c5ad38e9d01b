"""Celery tasks: thin wrappers that take ids and call services.

Tasks may run twice (a redelivery, a sweep racing a slow worker); the services they call
are idempotent, so that is harmless.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from messaging import bulk, leases, outbound, services

logger = logging.getLogger(__name__)


def queue(task: Any, *args: Any, countdown: float | None = None) -> bool:
    """Queue a task; never raise. A task that cannot be queued is found again by the sweeper."""
    try:
        task.apply_async(args, countdown=countdown)
    except (OperationalError, redis.exceptions.RedisError, OSError) as exc:
        logger.error(
            "could not queue %s%r (%s): the sweeper will queue it once the broker is back", task.name, args, exc
        )
        return False
    return True


def _retry_if_asked(result: outbound.SendResult, message_id: int) -> None:
    if result.retry_in is not None:
        queue(send_message, message_id, countdown=result.retry_in)


@shared_task(name="messaging.tasks.send_message")
def send_message(message_id: int) -> None:
    _retry_if_asked(outbound.message_send(message_id=message_id), message_id)


@shared_task(name="messaging.tasks.send_bulk")
def send_bulk(lease: str | None = None) -> None:
    """Send one batch of scheduled messages; while batches come full, the next task follows.

    One batch per task keeps tasks short. A chain holds one of SMS_BULK_SENDERS leases;
    a task that finds them all held ends at once (enough senders are running).
    """
    try:
        if lease is None or not leases.renew(lease):
            lease = leases.acquire()
            if lease is None:
                return
        result = bulk.bulk_send_batch()
        if result.full and queue(send_bulk, lease):
            return
        leases.release(lease)
    except redis.exceptions.RedisError as exc:
        logger.error("bulk sender: Redis unavailable (%s); beat's start_senders starts again", exc)


@shared_task(name="messaging.tasks.start_senders")
def start_senders() -> None:
    """Beat, every SMS_BULK_START_SECONDS: start bulk senders when scheduled messages wait.

    Whoever schedules messages (the reminder tick, an advisory's planning) only writes rows;
    this is what starts sending them, and restarts it after a lost task or a Redis outage.
    """
    start_bulk_senders()


def start_bulk_senders() -> int:
    """Queue enough bulk senders for what waits now, up to SMS_BULK_SENDERS in all."""
    size = bulk.batch_size()
    waiting = bulk.bulk_waiting(up_to=size * settings.SMS_BULK_SENDERS)
    senders = min(settings.SMS_BULK_SENDERS, -(-waiting // size))
    for _ in range(senders):
        queue(send_bulk)
    return senders


@shared_task(name="messaging.tasks.sweep")
def sweep() -> None:
    """Queue again the sends whose task was lost (received texts: sms.tasks.sweep_inbound)."""
    swept = services.messages_sweep()
    for message_id in swept.outbound:
        queue(send_message, message_id)
