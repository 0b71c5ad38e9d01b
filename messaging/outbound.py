"""The one outbound pipeline, for every purpose (reply, opt-out confirmation, reminder,
advisory, preview) and every channel.

    build the row      message_new (the one place rows are made; sender_for picks the number)
    claim              created claimed (a reply), message_send (one row), bulk.bulk_claim (a batch)
    attempt            ask the provider first if an earlier attempt may have reached it,
                       then the checks: may the contact receive on this channel
                       (messaging.recipients), then those the purpose's owner registered
                       (messaging.presend), then pace (the rate limit), then the backend
                       of the message's channel sends the request (sms_request)
    record             record (one row) or record_batch (a batch in a few statements);
                       a provider's error reaches the contact through recipients.outcome_apply

A reply is sent by the worker that decided it (`deliver`); reminders and advisories by
the bulk senders (messaging.bulk), which only add batching and the shared rate limit
around the same `attempt`.

Exactly-once: a send is claimed before the provider is called (a reply is created
claimed; a retry claims its row with a conditional UPDATE, pending -> sending), so two
workers never send the same row; an attempt that may have reached the provider (a
timeout, a 5xx, a worker that died mid-send) marks the row `uncertain`, and the next
attempt asks the provider before sending again.
"""

from __future__ import annotations

import logging
import random
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from advice.encoding import sms_size
from advice.models import Topic
from contacts.models import Contact
from contacts.phone import masked, to_e164
from messaging import queries, ratelimit, recipients
from messaging.backends import OutgoingSms, SendError, SmsBackend, Submitted, get_backend
from messaging.models import PROVIDER_STATUS_RANK, Message
from messaging.presend import NotBefore, Refusal, presend_verdict, related_fields
from messaging.rows import update_rows
from messaging.twilio_errors import Outcome

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/sms/status/"
CHANNEL_NAMES: dict[str, str] = {
    Message.Channel.SMS: "SMS",
    Message.Channel.VOICE: "calls",
}  # in notes, which are not translated


# --- Rows ---------------------------------------------------------------------------------


def sender_for(*, channel: str = Message.Channel.SMS, texted: str = "") -> str:
    """The number a message goes out from: the one the person texted when it is ours (a reply
    stays in their conversation), else TWILIO_FROM_NUMBER; empty when a Messaging Service
    picks the number."""
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        return ""
    ours = to_e164(texted) if texted.startswith("+") else None
    return ours or settings.TWILIO_FROM_NUMBER


def message_new(
    *,
    purpose: str,
    phone_number: str,
    contact: Contact | None = None,
    contact_id: int | None = None,
    body: str = "",
    channel: str = Message.Channel.SMS,
    state: str = Message.State.PENDING,
    sender: str | None = None,
    **fields: Any,
) -> Message:
    """An outbound message row, not yet saved: the one place they are built.

    `contact` (or its id, when the caller has only ids), the channel, the sending number
    (sender_for unless given) and the text's size are set here; `fields` are the purpose's
    own (reply_to, scheduled_for and slot, broadcast, language, topic, a claim).
    """
    size = sms_size(body) if body else None
    message = Message(
        direction=Message.Direction.OUTBOUND,
        channel=channel,
        purpose=purpose,
        phone_number=phone_number,
        service_number=sender_for(channel=channel) if sender is None else sender,
        body=body,
        state=state,
        encoding=size.encoding if size else "",
        segments=size.segments if size else None,
        **fields,
    )
    if contact is not None:
        message.contact = contact
    elif contact_id is not None:
        message.contact_id = contact_id
    return message


def preview_record(*, phone_number: str, body: str, language: str, topic: Topic | None) -> Message:
    """A draft's exact message, for a reviewer's own phone: a row like any other, sent by the worker.

    The caller queues `send_message` once this commits.
    """
    message = message_new(
        purpose=Message.Purpose.PREVIEW, phone_number=phone_number, body=body, language=language, topic=topic
    )
    message.save()
    return message


def messages_schedule(rows: Sequence[Message]) -> list[Message]:
    """Store scheduled rows (reminders, advisories); rows that exist already are skipped.

    The bulk senders pick them up: beat's `messaging.tasks.start_senders` starts them.
    """
    return Message.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


# --- Sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    state: str  # the row's state afterwards, or "skipped" when it was not ours to send
    retry_in: float | None = None  # seconds until the next attempt, when one is scheduled


def status_callback_url(message: Message) -> str:
    # Our id rides along, so a callback can find the row even before its SID is saved.
    return f"{settings.PUBLIC_BASE_URL}{STATUS_CALLBACK_PATH}?m={message.pk}"


def sms_request(message: Message) -> OutgoingSms:
    """What the backend is asked to send for this row (and asked about, if it may have it)."""
    return OutgoingSms(
        to=message.phone_number,
        body=message.body,
        sender=message.service_number,
        status_callback=status_callback_url(message),
    )


def error_place(error: BaseException) -> str:
    """An exception's type and the line that raised it, without its text (which may hold personal data)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


@dataclass(frozen=True)
class Attempt:
    """What one attempt at a claimed message came to, before it is recorded."""

    message: Message
    submitted: Submitted | None = None  # the provider has it (this attempt's, or an earlier one's)
    refusal: Refusal | None = None
    not_before: NotBefore | None = None
    error: SendError | None = None
    lookup_failed: bool = False  # the error is from asking about an earlier attempt: nothing was sent


def attempt(message: Message, *, backend: SmsBackend, pace: Callable[[], object]) -> Attempt:
    """Try to hand one claimed message to the backend; writes nothing (see `record`).

    An earlier attempt that may have reached the provider is looked up first: if the
    provider has the message, it was sent, whatever has changed since. Then the checks;
    `pace` runs just before the send itself (a reply counts against the rate, a bulk
    sender waits for its slot).
    """
    request = sms_request(message)
    if message.uncertain:
        try:
            earlier = backend.find_submitted(request, since=message.created_at)
        except SendError as error:
            return Attempt(message, error=error, lookup_failed=True)
        if earlier is not None:
            logger.info("message %s: an earlier attempt reached Twilio as %s; not sent again", message.pk, earlier.sid)
            return Attempt(message, submitted=earlier)
    verdict = recipients.refusal(message) or presend_verdict(message, timezone.now())
    if isinstance(verdict, Refusal):
        return Attempt(message, refusal=verdict)
    if isinstance(verdict, NotBefore):
        return Attempt(message, not_before=verdict)
    pace()
    try:
        return Attempt(message, submitted=backend.send_sms(request))
    except SendError as error:
        return Attempt(message, error=error)
    except Exception as error:
        # A bug, not the provider: it may have struck after the request left, so ask before resending.
        return Attempt(
            message, error=SendError(f"unexpected {error_place(error)}", outcome=Outcome.RETRY, uncertain=True)
        )


def deliver(*, message: Message) -> SendResult:
    """Send one message this worker has claimed (state `sending`): once, or classify the failure.

    Not for scheduled messages' batches (messaging.bulk), which pace by the rate limiter:
    this one never waits, but the send counts against its sender's rate.
    """
    key = ratelimit.sender_key(message.service_number)
    return record(attempt(message, backend=get_backend(message.channel), pace=lambda: ratelimit.take_now(key)))


def message_send(*, message_id: int) -> SendResult:
    """Claim one pending outbound message (a retry, a preview, a sweep) and deliver it."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, direction=Message.Direction.OUTBOUND, state=Message.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return SendResult("skipped")
    return deliver(message=Message.objects.select_related(*claim_related()).get(pk=message_id))


def claim_related() -> list[str]:
    """What the checks read of a claimed message's relations: loaded with the claim."""
    return sorted({recipients.CONTACT, *related_fields()})


# --- Recording ----------------------------------------------------------------------------


def record(attempt: Attempt) -> SendResult:
    """Write what one attempt came to on its row (and, for a provider's refusal, its contact)."""
    message = attempt.message
    if attempt.submitted is not None:
        return record_submitted(message, attempt.submitted.sid, attempt.submitted.status)
    if attempt.refusal is not None:
        return record_final(message, _refused_state(attempt.refusal), note=attempt.refusal.note)
    if attempt.not_before is not None:
        _record_held(Message.objects.filter(pk=message.pk), attempt.not_before)
        return SendResult(Message.State.PENDING, retry_in=(attempt.not_before.at - timezone.now()).total_seconds())
    assert attempt.error is not None
    if attempt.lookup_failed:
        return record_failed_lookup(message, attempt.error)
    return record_failed_attempt(message, attempt.error)


def _refused_state(refusal: Refusal) -> str:
    return str(Message.State.MISSED if refusal.missed else Message.State.CANCELLED)


@dataclass(frozen=True)
class Recorded:
    submitted: int = 0
    not_sent: int = 0  # refused, missed or held (until the quiet hours end)
    retrying: int = 0
    failed: int = 0


def record_batch(attempts: Iterable[Attempt]) -> Recorded:
    """`record` for a bulk sender's batch: the common outcomes in a few statements."""
    sent: list[tuple[Message, Submitted]] = []
    final: dict[tuple[str, str], list[int]] = defaultdict(list)
    held: dict[NotBefore, list[int]] = defaultdict(list)
    retrying = failed = 0
    for one in attempts:
        if one.submitted is not None:
            sent.append((one.message, one.submitted))
        elif one.refusal is not None:
            final[(_refused_state(one.refusal), one.refusal.note)].append(one.message.pk)
        elif one.not_before is not None:
            held[one.not_before].append(one.message.pk)
        elif record(one).retry_in is not None:
            retrying += 1
        else:
            failed += 1
    now = timezone.now()
    if sent:
        update_rows(
            Message,
            ["state", "provider_sid", "submitted_at", "uncertain", "next_attempt_at", "updated_at"],
            [(message.pk, Message.State.SUBMITTED, found.sid, now, False, None, now) for message, found in sent],
        )
        by_status: dict[str, list[int]] = defaultdict(list)
        for message, found in sent:
            by_status[found.status].append(message.pk)
        for status, ids in by_status.items():
            # Forward only: a status callback may have been faster than this update.
            Message.objects.filter(pk__in=ids, provider_status__in=lower_statuses(status)).update(
                provider_status=status
            )
        logger.info("bulk sender: %s messages accepted by Twilio", len(sent))
    for (state, note), ids in final.items():
        Message.objects.filter(pk__in=ids, state=Message.State.SENDING).update(
            state=state, note=note, next_attempt_at=None, updated_at=now
        )
    for until, ids in held.items():
        _record_held(Message.objects.filter(pk__in=ids), until)
    return Recorded(
        submitted=len(sent),
        not_sent=sum(len(ids) for ids in final.values()) + sum(len(ids) for ids in held.values()),
        retrying=retrying,
        failed=failed,
    )


def _record_held(rows: QuerySet[Message], until: NotBefore) -> None:
    # Back to pending, the claim's attempt given back: waiting is not an attempt.
    rows.filter(state=Message.State.SENDING).update(
        state=Message.State.PENDING,
        next_attempt_at=until.at,
        attempts=F("attempts") - 1,
        note=until.note,
        updated_at=timezone.now(),
    )


def record_submitted(message: Message, sid: str, status: str) -> SendResult:
    queries.submitted_set(message.pk, sid=sid, status=status, lower=lower_statuses(status), now=timezone.now())
    logger.info("message %s to %s accepted as %s (%s)", message.pk, masked(message.phone_number), sid, status)
    return SendResult(Message.State.SUBMITTED)


def record_failed_attempt(message: Message, error: SendError) -> SendResult:
    code = f" (error {error.code})" if error.code else ""
    if error.outcome == Outcome.OPTED_OUT:
        recipients.outcome_apply(message, error.outcome, reason=f"Twilio error {error.code}")
        return record_final(message, Message.State.FAILED, error=error, note=f"the number opted out at Twilio{code}")
    if error.outcome == Outcome.BAD_NUMBER:
        recipients.outcome_apply(message, error.outcome, reason=f"Twilio error {error.code}: {error.message}")
        cannot = f"the number cannot receive {CHANNEL_NAMES.get(message.channel, message.channel)}{code}"
        return record_final(message, Message.State.FAILED, error=error, note=cannot)
    if error.outcome == Outcome.FAILED:
        logger.error("message %s cannot be sent: %s", message.pk, error.message)
        return record_final(message, Message.State.FAILED, error=error, note=f"Twilio refused the message{code}")

    uncertain = message.uncertain or error.uncertain
    waited = _retry_window_used(message)
    if message.attempts >= settings.SMS_SEND_MAX_ATTEMPTS and waited >= _retry_window():
        return _give_up(message, error, uncertain=uncertain, waited=waited)
    return _retry_later(message, error, uncertain=uncertain, waited=waited)


def record_failed_lookup(message: Message, error: SendError) -> SendResult:
    """Twilio could not be asked whether an earlier attempt reached it: nothing was sent.

    Not a send attempt (the claim counted one: it is given back), so an outage that fails
    the look-ups too does not use up the count; the retry window still bounds it.
    """
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(attempts=F("attempts") - 1)
    message.attempts -= 1
    waited = _retry_window_used(message)
    if waited >= _retry_window():
        return _give_up(message, error, uncertain=True, waited=waited)
    return _retry_later(message, error, uncertain=True, waited=waited)


def _retry_window() -> timedelta:
    return timedelta(minutes=settings.SMS_RETRY_WINDOW_MINUTES)


def _retry_window_used(message: Message) -> timedelta:
    return timezone.now() - (message.retrying_since or message.created_at)


def _retry_later(message: Message, error: SendError, *, uncertain: bool, waited: timedelta) -> SendResult:
    code = f" (error {error.code})" if error.code else ""
    delay = retry_delay(message.attempts, waited=waited.total_seconds())
    now = timezone.now()
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
        state=Message.State.PENDING,
        next_attempt_at=now + timedelta(seconds=delay),
        uncertain=uncertain,
        error_code=error.code,
        error_message=error.message[:500],
        updated_at=now,
    )
    logger.warning(
        "message %s after %s attempt(s) in %.0f s failed%s, retrying in %.1f s%s: %s",
        message.pk,
        message.attempts,
        waited.total_seconds(),
        code,
        delay,
        " (Twilio is asked first)" if uncertain else "",
        error.message,
    )
    return SendResult(Message.State.PENDING, retry_in=delay)


def _give_up(message: Message, error: SendError, *, uncertain: bool, waited: timedelta) -> SendResult:
    code = f" (error {error.code})" if error.code else ""
    minutes = waited.total_seconds() / 60
    note = f"gave up after {message.attempts} attempt(s) in {minutes:.0f} min{code}: retry it from the admin"
    logger.error("message %s %s: %s", message.pk, note, error.message)
    return record_final(message, Message.State.GAVE_UP, error=error, uncertain=uncertain, note=note)


def retry_delay(attempts: int, *, waited: float = 0.0) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, capped.

    The step doubles with each attempt, and is at least half the time already waited, so
    retries that are not attempts (failed look-ups) back off as well.
    """
    step = settings.SMS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    step = min(float(settings.SMS_RETRY_MAX_SECONDS), max(step, waited / 2))
    return float(step / 2 + random.uniform(0, step / 2))


def messages_retry(*, message_ids: Iterable[int]) -> list[int]:
    """Give outgoing messages that gave up a new retry window (an admin's retry after an outage).

    Returns the ids retried. An attempt that may have reached Twilio stays `uncertain`, so the
    retry asks Twilio before sending: a retry never sends a message twice.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update()
            .filter(pk__in=list(message_ids), direction=Message.Direction.OUTBOUND, state=Message.State.GAVE_UP)
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=ids).update(
            state=Message.State.PENDING,
            attempts=0,
            next_attempt_at=None,
            retrying_since=now,
            note="retried from the admin",
            updated_at=now,
        )
    if ids:
        logger.info("%s message(s) that gave up are retried: %s", len(ids), ids[:20])
    return ids


def record_final(
    message: Message, state: str, *, note: str, error: SendError | None = None, uncertain: bool = False
) -> SendResult:
    Message.objects.filter(pk=message.pk).update(
        state=state,
        note=note[:300],
        uncertain=uncertain,
        next_attempt_at=None,
        error_code=error.code if error else None,
        error_message=error.message[:500] if error else "",
        updated_at=timezone.now(),
    )
    if state == Message.State.CANCELLED:
        logger.info("message %s %s", message.pk, note)
    return SendResult(state)


def lower_statuses(status: str) -> list[str]:
    """The provider statuses `status` may replace: it only ever moves forward."""
    rank = PROVIDER_STATUS_RANK.get(status, 0)
    return ["", *(name for name, r in PROVIDER_STATUS_RANK.items() if r < rank)]
