"""Celery tasks of privacy: thin wrappers around privacy.services.

Their names were `messaging.tasks.*` before privacy became an app of its own: a task queued
under an old name before a deploy (an erasure waits FORGET_ERASE_AFTER_SECONDS in Redis) is
still run, by the alias registered under that name.
"""

from __future__ import annotations

from celery import shared_task

from messaging.outbound import retry_delay
from messaging.tasks import queue
from privacy import services


@shared_task(name="privacy.tasks.forget_erase")
def forget_erase(inbound_id: int, attempt: int = 1) -> None:
    """Erase the number that texted FORGET once its confirmation is sent; then delete it at Twilio."""
    erased = services.contact_erase_after_forget(inbound_id=inbound_id)
    if not erased.done:
        queue(forget_erase, inbound_id, attempt + 1, countdown=retry_delay(attempt))
        return
    if erased.provider_sids:
        queue(twilio_delete)


@shared_task(name="privacy.tasks.twilio_delete")
def twilio_delete() -> None:
    """Delete due message records at Twilio (recorded by erasures); beat runs it too, so none is lost."""
    done = services.provider_deletions_run()
    if done.deleted + done.failed >= 100:
        queue(twilio_delete)  # a full batch: more may be due
    elif done.next_due_in is not None and done.failed:
        queue(twilio_delete, countdown=done.next_due_in)


@shared_task(name="privacy.tasks.retention")
def retention() -> None:
    retained = services.retention_apply()
    if retained.provider_sids:
        queue(twilio_delete)


# --- The names these tasks had before (messages queued then must still run) ---------------


@shared_task(name="messaging.tasks.forget_erase")
def forget_erase_old_name(inbound_id: int, attempt: int = 1) -> None:
    forget_erase(inbound_id, attempt)


@shared_task(name="messaging.tasks.twilio_delete")
def twilio_delete_old_name() -> None:
    twilio_delete()


@shared_task(name="messaging.tasks.retention")
def retention_old_name() -> None:
    retention()
