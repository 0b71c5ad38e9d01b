"""Celery tasks for reminders: thin wrappers around the scheduler and advisory services.

They only write message rows: the channel layer's own beat task (messaging.tasks.start_senders)
starts the bulk senders that send them. Reminder calls are placed by `place_calls`, which
the tick starts (every REMINDER_TICK_SECONDS: new calls, and the retries whose time came).
"""

from __future__ import annotations

import logging

from celery import shared_task

from messaging.tasks import queue
from reminders import advisories, calls, scheduler

logger = logging.getLogger(__name__)


@shared_task(name="reminders.tasks.tick")
def tick() -> None:
    """Every REMINDER_TICK_SECONDS (beat): record what is due, as message rows.

    Safe to run twice at once (two beat processes): the claims are atomic.
    """
    scheduler.reminders_plan_due()
    advisories.advisories_resume_planning(queue_planning=lambda pk: queue(plan_advisory, pk))
    advisories.advisories_mark_done()
    start_call_placers()


@shared_task(name="reminders.tasks.place_calls")
def place_calls() -> None:
    """Place one batch of due reminder calls at the calls-per-second limit; while batches
    come full, the next task follows. Several may run: claims are atomic, the limit shared."""
    if calls.calls_place_batch().full:
        queue(place_calls)


def start_call_placers() -> bool:
    """Queue a call placer when calls are due."""
    return calls.calls_waiting() > 0 and queue(place_calls)


@shared_task(name="reminders.tasks.plan_advisory")
def plan_advisory(broadcast_id: int) -> None:
    """Create an advisory's messages, chunk by chunk."""
    advisories.advisory_plan(broadcast_id=broadcast_id)
