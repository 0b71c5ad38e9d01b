"""Celery tasks of the SMS channel: thin wrappers that take ids and call services.

Tasks may run twice (a redelivery, a sweep racing a slow worker); the services they call
are idempotent, so that is harmless. `process_inbound` was `messaging.tasks.process_inbound`
before the SMS channel became an app of its own: a message queued under that name before a
deploy is still handled, by the alias registered under it.
"""

from __future__ import annotations

from celery import shared_task

from messaging import outbound
from messaging.tasks import queue, send_message
from sms import services


@shared_task(name="sms.tasks.process_inbound")
def process_inbound(message_id: int) -> None:
    handled = services.inbound_sms_process(message_id=message_id)
    if handled.retry_in is not None:
        queue(process_inbound, message_id, countdown=handled.retry_in)
    if handled.reply is not None:
        # Sent here rather than queued, to save a round trip through the broker.
        result = outbound.deliver(message=handled.reply)
        if result.retry_in is not None:
            queue(send_message, handled.reply.pk, countdown=result.retry_in)


@shared_task(name="messaging.tasks.process_inbound")
def process_inbound_old_name(message_id: int) -> None:
    process_inbound(message_id)


@shared_task(name="sms.tasks.sweep_inbound")
def sweep_inbound() -> None:
    """Queue again the received texts whose task was lost; beat runs it (the sends: messaging.tasks.sweep)."""
    for message_id in services.inbound_sms_sweep():
        queue(process_inbound, message_id)
