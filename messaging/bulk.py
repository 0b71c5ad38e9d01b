"""Sending scheduled messages (reminders, advisories) in batches, at the sender's rate.

A bulk sender claims a batch of pending rows at once (`SELECT ... FOR UPDATE SKIP LOCKED`,
then pending -> sending), so two senders never claim the same row; reserves that many send
slots from the shared rate limiter; checks each row again at its slot (opted out, paused,
undeliverable, too late, quiet hours); sends it through the process's one backend (one
HTTP connection pool, reused); and records the batch's results in a few statements. With
at most SMS_BULK_SENDERS senders (messaging.leases) and batches of about WINDOW_SECONDS of
the rate shared among them, a claimed row is sent within seconds.

A sender that dies leaves rows `sending`; the sweeper turns them back to pending and marks
them uncertain, and the next sender asks Twilio about each before sending it again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from messaging import ratelimit
from messaging.backends import OutgoingSms, SendError, Submitted, get_backend
from messaging.models import BULK_PURPOSES, Message
from messaging.rows import update_rows
from messaging.services import lower_statuses, record_failed_attempt, record_failed_lookup, status_callback_url
from reminders import services as reminder_services
from reminders.schedule import QuietHours

logger = logging.getLogger(__name__)

# How many seconds of the sender's rate all senders' batches reserve together: short, so a
# claim is always fresh and a worker shared with replies is never away from them for long.
WINDOW_SECONDS = 2.0


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    submitted: int = 0
    not_sent: int = 0
    retrying: int = 0
    failed: int = 0
    full: bool = False  # a whole batch was claimed: more is probably waiting


def batch_size() -> int:
    rate = settings.SMS_RATE_LIMIT_PER_SECOND
    size = int(settings.SMS_BULK_BATCH_SIZE)
    return size if rate <= 0 else max(1, min(size, int(rate * WINDOW_SECONDS / settings.SMS_BULK_SENDERS)))


def _waiting(now: datetime) -> Q:
    return Q(state=Message.State.PENDING, purpose__in=BULK_PURPOSES) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def bulk_waiting(*, now: datetime | None = None, up_to: int) -> int:
    """How many scheduled messages wait to be sent now, counted up to `up_to`."""
    now = now or timezone.now()
    return len(Message.objects.filter(_waiting(now)).values_list("pk", flat=True)[:up_to])


def bulk_claim(*, limit: int, now: datetime | None = None) -> list[Message]:
    """Claim up to `limit` waiting scheduled messages for this sender, atomically."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_waiting(now))
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids, state=Message.State.PENDING).update(
            state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return list(
        Message.objects.select_related("contact__reminder_plan").filter(
            pk__in=ids, state=Message.State.SENDING, claimed_at=now
        )
    )


def bulk_send_batch() -> BatchResult:
    """Claim a batch of waiting messages, reserve their slots, send each at its slot."""
    size = batch_size()
    messages = bulk_claim(limit=size)
    if not messages:
        return BatchResult(claimed=0)
    try:
        reservation = ratelimit.reserve(ratelimit.sender_key(settings.TWILIO_FROM_NUMBER), len(messages))
    except Exception:
        _unclaim(messages)
        raise
    counts: dict[str, int] = defaultdict(int)
    sent: list[tuple[Message, Submitted]] = []
    final: dict[tuple[str, str], list[int]] = defaultdict(list)
    held: dict[datetime, list[int]] = defaultdict(list)
    backend = get_backend()
    quiet = reminder_services.quiet_hours()
    grace = timedelta(minutes=settings.REMINDER_GRACE_MINUTES)
    slot = 0
    for message in messages:
        now = timezone.now()
        refusal = _refusal(message, now)
        if refusal:
            final[(Message.State.CANCELLED, refusal)].append(message.pk)
            continue
        hold_until = _quiet_until(message, now, quiet)
        if hold_until is not None and message.purpose == Message.Purpose.ADVISORY:
            held[hold_until].append(message.pk)
            continue
        sms = OutgoingSms(
            to=message.phone_number,
            body=message.body,
            sender=message.service_number,
            status_callback=status_callback_url(message),
        )
        try:
            if message.uncertain:
                try:
                    earlier = backend.find_submitted(sms, since=message.created_at)
                except SendError as error:
                    looked = record_failed_lookup(message, error)  # not a send attempt: the window bounds it
                    counts["retrying" if looked.retry_in is not None else "failed"] += 1
                    continue
                if earlier is not None:
                    logger.info("message %s: an earlier attempt reached Twilio as %s", message.pk, earlier.sid)
                    sent.append((message, earlier))
                    continue
            if hold_until is not None:
                final[(Message.State.MISSED, "missed: the quiet hours began")].append(message.pk)
                continue
            if _too_late(message, now, grace):
                note = f"missed: more than {settings.REMINDER_GRACE_MINUTES:g} minutes late"
                final[(Message.State.MISSED, note)].append(message.pk)
                continue
            reservation.wait_for(slot)
            slot += 1
            sent.append((message, backend.send_sms(sms)))
        except SendError as error:
            result = record_failed_attempt(message, error)
            counts["retrying" if result.retry_in is not None else "failed"] += 1
    _record_batch(sent, final, held)
    return BatchResult(
        claimed=len(messages),
        submitted=len(sent),
        not_sent=sum(len(ids) for ids in final.values()) + sum(len(ids) for ids in held.values()),
        retrying=counts["retrying"],
        failed=counts["failed"],
        full=len(messages) == size,
    )


def _unclaim(messages: list[Message]) -> None:
    """Give claimed rows back untouched (the rate limiter could not be asked)."""
    Message.objects.filter(pk__in=[m.pk for m in messages], state=Message.State.SENDING).update(
        state=Message.State.PENDING, attempts=F("attempts") - 1, claimed_at=None
    )


def _refusal(message: Message, now: datetime) -> str:
    contact = message.contact
    if contact is None:
        return "not sent: no contact"
    if contact.sms_undeliverable_at is not None:
        return "not sent: the number is undeliverable"
    if contact.sms_opted_out:
        return "not sent: the number has opted out"
    if reminder_services.contact_is_paused(contact, now):
        return "not sent: reminders are paused"
    if message.purpose == Message.Purpose.REMINDER and not reminder_services.contact_has_reminders(contact):
        return "not sent: reminders were stopped"
    return ""


def _too_late(message: Message, now: datetime, grace: timedelta) -> bool:
    return (
        message.purpose == Message.Purpose.REMINDER
        and message.scheduled_for is not None
        and now - message.scheduled_for > grace
    )


def _quiet_until(message: Message, now: datetime, quiet: QuietHours) -> datetime | None:
    """When the contact's quiet hours end, if it is quiet for them now; else None."""
    assert message.contact is not None
    zone = reminder_services.contact_zone(message.contact)
    local = now.astimezone(zone)
    if not quiet.contains(local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def _record_batch(
    sent: list[tuple[Message, Submitted]],
    final: dict[tuple[str, str], list[int]],
    held: dict[datetime, list[int]],
) -> None:
    now = timezone.now()
    if sent:
        update_rows(
            Message,
            ["state", "provider_sid", "submitted_at", "uncertain", "next_attempt_at", "updated_at"],
            [
                (message.pk, Message.State.SUBMITTED, submitted.sid, now, False, None, now)
                for message, submitted in sent
            ],
        )
        by_status: dict[str, list[int]] = defaultdict(list)
        for message, submitted in sent:
            by_status[submitted.status].append(message.pk)
        for status, ids in by_status.items():
            # Forward only: a status callback may have been faster than this update.
            Message.objects.filter(pk__in=ids, provider_status__in=lower_statuses(status)).update(
                provider_status=status
            )
    for (state, note), ids in final.items():
        Message.objects.filter(pk__in=ids, state=Message.State.SENDING).update(
            state=state, note=note, next_attempt_at=None, updated_at=now
        )
    for until, ids in held.items():
        Message.objects.filter(pk__in=ids, state=Message.State.SENDING).update(
            state=Message.State.PENDING,
            next_attempt_at=until,
            attempts=F("attempts") - 1,
            note="held until the quiet hours end",
            updated_at=now,
        )
    if sent:
        logger.info("bulk sender: %s messages accepted by Twilio", len(sent))
