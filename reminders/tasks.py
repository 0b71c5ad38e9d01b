"""Celery tasks for reminders: thin wrappers around the scheduler and advisory services."""

from __future__ import annotations

import logging

from celery import shared_task

from messaging.tasks import queue, start_bulk_senders, start_call_placers
from reminders import advisories, scheduler

logger = logging.getLogger(__name__)


@shared_task(name="reminders.tasks.tick")
def tick() -> None:
    """Every REMINDER_TICK_SECONDS (beat): record what is due, then start bulk senders.

    Safe to run twice at once (two beat processes): the claims are atomic.
    """
    scheduler.reminders_plan_due(after_chunk=_start_senders)
    advisories.advisories_resume_planning(queue_planning=lambda pk: queue(plan_advisory, pk))
    advisories.advisories_mark_done()
    _start_senders()


def _start_senders() -> None:
    start_bulk_senders()
    start_call_placers()  # reminder calls, and the retries whose time came


@shared_task(name="reminders.tasks.plan_advisory")
def plan_advisory(broadcast_id: int) -> None:
    """Create an advisory's messages, chunk by chunk, then start bulk senders."""
    advisories.advisory_plan(broadcast_id=broadcast_id)
    start_bulk_senders()
