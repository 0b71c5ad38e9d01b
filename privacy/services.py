"""Privacy services: erasure on request (FORGET, the admin's erase), export, retention.

What erasure leaves: message rows without number, text, webhook parameters or notes, and
without a link to any person (their direction, state, topic, language and day stay, for
counts); a suppression record holding a keyed HMAC of the number (contacts.suppression),
so that nothing is sent to it until it texts again; and, at Twilio, nothing once the
deletion task has run (Twilio's backups keep bodies up to 30 days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact
from contacts.suppression import suppression_add, suppression_clear
from messaging.backends import SendError, get_backend
from messaging.models import Message, ProviderDeletion
from messaging.outbound import retry_delay
from messaging.tasks import queue
from reminders import services as reminder_services

logger = logging.getLogger(__name__)

ERASED_NOTE = "erased"
# A FORGET confirmation that Twilio has not taken after this long no longer holds the erasure up.
FORGET_WAIT_FOR_CONFIRMATION = timedelta(hours=2)
_UNFINISHED = (Message.State.PENDING, Message.State.SENDING)


def contact_forget_requested(*, contact: Contact) -> None:
    """FORGET was texted or said: from now on nothing but its one confirmation is sent to the number.

    Called inside the handling transaction (conversation.services.respond). The channel that
    carries the confirmation then schedules the erasure (`forget_erasure_schedule`); should
    that be lost, the retention task finishes it.
    """
    suppression_add(number=contact.phone_number)
    reminder_services.reminders_stop(contact=contact)
    # Opted out "by FORGET", even if opted out before: the retention task finishes an erasure
    # whose task was lost by looking for exactly these.
    contact.sms_opted_out = False
    contact.calls_opted_out = False
    contact_services.contact_opt_out(contact=contact, channel="sms", source=Contact.OptOutSource.FORGET)
    contact_services.contact_opt_out(contact=contact, channel="voice", source=Contact.OptOutSource.FORGET)


def forget_erasure_schedule(*, inbound_id: int) -> None:
    """Erase the number that texted FORGET (message `inbound_id`) once its confirmation is sent.

    A task queued on commit, FORGET_ERASE_AFTER_SECONDS later, that waits for the confirmation.
    """

    def queue_erasure() -> None:
        from privacy import tasks

        queue(tasks.forget_erase, inbound_id, countdown=settings.FORGET_ERASE_AFTER_SECONDS)

    transaction.on_commit(queue_erasure)


@dataclass(frozen=True)
class Erased:
    done: bool  # False: the confirmation is still on its way; try again later
    provider_sids: list[str]


def contact_erase_after_forget(*, inbound_id: int, now: datetime | None = None) -> Erased:
    """Erase the number that texted FORGET (message `inbound_id`), once its confirmation is sent.

    Messages after the FORGET conversation (the person texted again before the erasure ran)
    are theirs afresh and are kept; the contact is then reset rather than deleted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        inbound = Message.objects.filter(pk=inbound_id).first()
        if inbound is None or not inbound.phone_number:
            return Erased(True, [])  # erased already
        number = inbound.phone_number
        reply = Message.objects.filter(reply_to_id=inbound_id).first()
        waited = now - inbound.created_at
        if reply is not None and reply.state in _UNFINISHED and waited < FORGET_WAIT_FOR_CONFIRMATION:
            return Erased(False, [])
        up_to = max(inbound_id, reply.pk if reply else 0)
        contact = Contact.objects.select_for_update().filter(phone_number=number).first()
        sids = _erase_messages(number=number, contact_id=contact.pk if contact else None, up_to=up_to)
        texted_again = Message.objects.filter(
            phone_number=number, direction=Message.Direction.INBOUND, pk__gt=up_to
        ).exists()
        if contact is not None and texted_again:
            suppression_clear(number=number)
            Contact.objects.filter(pk=contact.pk).update(
                sms_opted_out=False,
                sms_opted_out_at=None,
                sms_opt_out_source="",
                calls_opted_out=False,
                calls_opted_out_at=None,
                calls_opt_out_source="",
                language=None,
                updated_at=now,
            )
        elif contact is not None:
            _admin_history_anonymise(contact.pk)
            contact.delete()
    logger.info("FORGET (message %s): contact erased, %s Twilio record(s) to delete", inbound_id, len(sids))
    return Erased(True, sids)


def contact_erase(*, contact: Contact, suppress: bool = True) -> list[str]:
    """Erase a contact now (the admin's erase, retention): the same effect as FORGET, without an SMS.

    Returns the Twilio SIDs to delete, already recorded (ProviderDeletion): queue `twilio_delete` on commit.
    """
    with transaction.atomic():
        number = contact.phone_number
        if suppress:
            suppression_add(number=number)
        sids = _erase_messages(number=number, contact_id=contact.pk, up_to=None)
        _admin_history_anonymise(contact.pk)
        Contact.objects.filter(pk=contact.pk).delete()
    return sids


def _erase_messages(*, number: str, contact_id: int | None, up_to: int | None) -> list[str]:
    rows = Message.objects.filter(
        Q(phone_number=number) | Q(contact_id=contact_id) if contact_id else Q(phone_number=number)
    )
    if up_to is not None:
        rows = rows.filter(pk__lte=up_to)
    # Nothing still waiting goes out to a number that is being erased.
    rows.filter(direction=Message.Direction.OUTBOUND, state=Message.State.PENDING).update(
        state=Message.State.CANCELLED, next_attempt_at=None
    )
    sids = [sid for sid in rows.values_list("provider_sid", flat=True) if sid]
    provider_deletions_add(sids=sids)
    rows.update(
        phone_number="",
        body="",
        params={},
        note=ERASED_NOTE,
        error_message="",
        contact=None,
        updated_at=timezone.now(),
    )
    return sids


def _admin_history_anonymise(contact_id: int) -> None:
    """The admin's history names a contact as it was shown (older entries: the full number)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact_id)).update(
        object_repr=f"contact #{contact_id}"
    )


# Twilio refuses to delete a message it is still delivering; after this many attempts
# (backing off to SMS_RETRY_MAX_SECONDS) a record is left for an operator (admin: Twilio
# records to delete).
PROVIDER_DELETE_MAX_ATTEMPTS = 30


def provider_deletions_add(*, sids: list[str]) -> None:
    """Record Twilio message records to delete (durable: the beat task finds them if a task is lost)."""
    ProviderDeletion.objects.bulk_create(
        [ProviderDeletion(provider_sid=sid) for sid in sids], ignore_conflicts=True, batch_size=500
    )


@dataclass(frozen=True)
class Deletions:
    deleted: int
    failed: int
    next_due_in: float | None  # seconds until the next failed one is due; None: nothing waits


def provider_deletions_run(*, now: datetime | None = None, limit: int = 100) -> Deletions:
    """Ask Twilio to delete the records that are due; failures back off and wait."""
    now = now or timezone.now()
    due = list(
        ProviderDeletion.objects.filter(attempts__lt=PROVIDER_DELETE_MAX_ATTEMPTS)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")[:limit]
    )
    backend = get_backend()
    deleted = failed = 0
    for row in due:
        try:
            backend.delete_message(row.provider_sid)
        except SendError as error:
            failed += 1
            attempts = row.attempts + 1
            delay = retry_delay(attempts)
            ProviderDeletion.objects.filter(pk=row.pk).update(
                attempts=attempts, next_attempt_at=now + timedelta(seconds=delay), last_error=error.message[:300]
            )
            log = logger.error if attempts >= PROVIDER_DELETE_MAX_ATTEMPTS else logger.warning
            log("Twilio record %s not deleted (attempt %s): %s", row.provider_sid, attempts, error.message)
            continue
        ProviderDeletion.objects.filter(pk=row.pk).delete()
        deleted += 1
    waiting = (
        ProviderDeletion.objects.filter(attempts__lt=PROVIDER_DELETE_MAX_ATTEMPTS, next_attempt_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    next_due_in = (waiting - now).total_seconds() if waiting else None
    if deleted or failed:
        logger.info("Twilio records: %s deleted, %s to try again", deleted, failed)
    return Deletions(deleted, failed, next_due_in)


# --- Export -------------------------------------------------------------------------------


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """Everything the service holds about one person, with a readable summary."""
    messages = list(
        Message.objects.filter(Q(contact=contact) | Q(phone_number=contact.phone_number))
        .select_related("topic")
        .order_by("created_at", "id")
    )

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    plan = reminder_services.plan_of(contact)
    held = {
        "phone_number": contact.phone_number,
        "language": contact.language_id,
        "first_seen": when(contact.created_at),
        "reminder_times": plan.reminder_times if plan else [],
        "time_zone": contact.time_zone,
        "reminders_since": when(plan.reminders_since if plan else None),
        "paused_at": when(plan.paused_at if plan else None),
        "paused_until": when(plan.paused_until if plan else None),
        "opted_out": contact.sms_opted_out,
        "opted_out_at": when(contact.sms_opted_out_at),
        "opt_out_source": contact.sms_opt_out_source,
        "opted_back_in_at": when(contact.sms_opted_in_at),
        "undeliverable_since": when(contact.sms_undeliverable_at),
        "calls_opted_out": contact.calls_opted_out,
        "calls_opted_out_at": when(contact.calls_opted_out_at),
        "calls_undeliverable_since": when(contact.voice_undeliverable_at),
    }
    rows = [
        {
            "at": when(message.created_at),
            "direction": message.direction,
            "channel": message.channel,
            "purpose": message.purpose,
            "text": message.body,
            "topic": message.topic.slug if message.topic else None,
            "language": message.language,
            "state": message.state,
            "twilio_sid": message.provider_sid,
        }
        for message in messages
    ]
    lines = [
        f"Phone number: {contact.phone_number}",
        f"First seen: {held['first_seen']}; language: {contact.language_id or '-'}",
        f"Reminders: {' '.join(plan.reminder_times if plan else []) or 'none'}",
        f"Opted out: {'yes, since ' + str(held['opted_out_at']) if contact.sms_opted_out else 'no'}",
        f"Messages: {len(rows)}",
        *(
            f"{row['at']} {'received' if row['direction'] == 'in' else 'sent'}: {row['text'] or '(text erased)'}"
            for row in rows
        ),
    ]
    return {"contact": held, "messages": rows, "summary": "\n".join(lines)}


# --- Retention ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Retained:
    blanked: int
    contacts_erased: int
    provider_sids: list[str]


def retention_apply(*, now: datetime | None = None, max_batches: int = 50) -> Retained:
    """Blank texts older than MESSAGE_RETENTION_DAYS, in batches; erase inactive contacts without reminders."""
    now = now or timezone.now()
    batch = settings.RETENTION_BATCH_SIZE
    text_cutoff = now - timedelta(days=settings.MESSAGE_RETENTION_DAYS)
    blanked = 0
    for _ in range(max_batches):
        ids = list(
            Message.objects.filter(created_at__lt=text_cutoff)
            .exclude(body="", params={})
            .exclude(state__in=_UNFINISHED)
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        blanked += Message.objects.filter(pk__in=ids).update(body="", params={}, updated_at=now)
        if len(ids) < batch:
            break
    contact_cutoff = now - timedelta(days=settings.CONTACT_RETENTION_DAYS)
    inactive = (
        Contact.objects.filter(created_at__lt=contact_cutoff)
        .filter(Q(reminder_plan__isnull=True) | Q(reminder_plan__reminder_times=[]))
        .annotate(last_message=Max("messages__created_at"))
        .filter(Q(last_message__lt=contact_cutoff) | Q(last_message__isnull=True))
        .order_by("id")[:batch]
    )
    sids: list[str] = []
    erased = 0
    for contact in inactive:
        # No suppression: nothing is sent to a number without a contact anyway.
        sids += contact_erase(contact=contact, suppress=False)
        erased += 1
    # An erasure after FORGET whose task was lost (Redis down): the number is suppressed and its
    # contact still there, opted out by the keyword, well after the confirmation.
    late = now - FORGET_WAIT_FOR_CONFIRMATION
    for forgotten in Contact.objects.filter(
        sms_opted_out=True, sms_opt_out_source=Contact.OptOutSource.FORGET, sms_opted_out_at__lt=late
    ).order_by("id")[:batch]:
        sids += contact_erase(contact=forgotten)
        erased += 1
    if blanked or erased:
        logger.info("retention: %s message text(s) blanked, %s inactive contact(s) erased", blanked, erased)
    return Retained(blanked, erased, sids)
