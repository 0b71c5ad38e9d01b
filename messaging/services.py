"""Message services, the outbound half: sending, status callbacks, sweeping lost sends.
(The inbound half, texts received and their replies, is the SMS channel's: sms.services.)

Exactly-once rests on the database, not on Celery:
- a send is claimed before Twilio is called: a reply is created already claimed (`sending`)
  by the worker that decided it; a retry claims its row with a conditional UPDATE
  (pending -> sending); so two workers never send the same row;
- an attempt that may have reached Twilio (a timeout, a 5xx, a worker that died mid-send)
  marks the row `uncertain`, and the next attempt asks Twilio before sending again.
"""

from __future__ import annotations

import logging
import random
import re
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phone import masked
from messaging import queries, ratelimit, twilio_ids
from messaging.backends import OutgoingSms, SendError, get_backend
from messaging.encoding import sms_size
from messaging.models import BULK_PURPOSES, PROVIDER_STATUS_RANK, Message
from messaging.twilio_errors import Outcome, classify

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/sms/status/"


def error_place(error: BaseException) -> str:
    """An exception's type and the line that raised it, without its text (which may hold personal data)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def preview_record(*, phone_number: str, body: str, language: str, topic: Topic | None) -> Message:
    """A draft's exact message, for a reviewer's own phone: a row like any other, sent by the worker.

    The caller queues `send_message` once this commits.
    """
    size = sms_size(body)
    return Message.objects.create(
        direction=Message.Direction.OUTBOUND,
        channel=Message.Channel.SMS,
        purpose=Message.Purpose.PREVIEW,
        phone_number=phone_number,
        service_number="" if settings.TWILIO_MESSAGING_SERVICE_SID else settings.TWILIO_FROM_NUMBER,
        body=body,
        language=language,
        topic=topic,
        state=Message.State.PENDING,
        encoding=size.encoding,
        segments=size.segments,
    )


# --- Outbound -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    state: str  # the row's state afterwards, or "skipped" when it was not ours to send
    retry_in: float | None = None  # seconds until the next attempt, when one is scheduled


def status_callback_url(message: Message) -> str:
    # Our id rides along, so a callback can find the row even before its SID is saved.
    return f"{settings.PUBLIC_BASE_URL}{STATUS_CALLBACK_PATH}?m={message.pk}"


def message_send(*, message_id: int) -> SendResult:
    """Hand one pending outbound message to the SMS backend, at most once per claim."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, direction=Message.Direction.OUTBOUND, state=Message.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return SendResult("skipped")
    return message_deliver(message=Message.objects.select_related("contact").get(pk=message_id))


def message_deliver(*, message: Message) -> SendResult:
    """Send a message this worker has claimed (state `sending`): once, or classify the failure."""
    refusal = _refusal(message)
    if refusal:
        return record_final(message, Message.State.CANCELLED, note=refusal)

    sms = OutgoingSms(
        to=message.phone_number,
        body=message.body,
        sender=message.service_number,
        status_callback=status_callback_url(message),
    )
    backend = get_backend()
    if message.purpose not in BULK_PURPOSES:
        # A reply never waits for the rate limit, but it uses up a slot of the sender's rate.
        ratelimit.take_now(ratelimit.sender_key(message.service_number))
    try:
        if message.uncertain:
            try:
                earlier = backend.find_submitted(sms, since=message.created_at)
            except SendError as error:
                return record_failed_lookup(message, error)
            if earlier is not None:
                logger.info(
                    "message %s: an earlier attempt reached Twilio as %s; not sent again", message.pk, earlier.sid
                )
                return record_submitted(message, earlier.sid, earlier.status)
        submitted = backend.send_sms(sms)
    except SendError as error:
        return record_failed_attempt(message, error)
    except Exception as error:
        # A bug, not Twilio: it may have struck after the request left, so ask before resending.
        unexpected = SendError(f"unexpected {error_place(error)}", outcome=Outcome.RETRY, uncertain=True)
        return record_failed_attempt(message, unexpected)
    return record_submitted(message, submitted.sid, submitted.status)


def _refusal(message: Message) -> str:
    """Why this message must not go out now, if it must not."""
    contact = message.contact
    if contact is None:
        return ""
    if contact.sms_undeliverable_at is not None:
        return f"not sent: the number is undeliverable ({contact.sms_undeliverable_reason})"
    if contact.sms_opted_out and message.purpose != Message.Purpose.OPT_OUT_CONFIRMATION:
        return "not sent: the number has opted out"
    return ""


def record_submitted(message: Message, sid: str, status: str) -> SendResult:
    queries.submitted_set(message.pk, sid=sid, status=status, lower=lower_statuses(status), now=timezone.now())
    logger.info("message %s to %s accepted as %s (%s)", message.pk, masked(message.phone_number), sid, status)
    return SendResult(Message.State.SUBMITTED)


def record_failed_attempt(message: Message, error: SendError) -> SendResult:
    code = f" (error {error.code})" if error.code else ""
    if error.outcome == Outcome.OPTED_OUT:
        if message.contact_id:
            contact_services.contact_opt_out_by_id(
                contact_id=message.contact_id, channel="sms", source=Contact.OptOutSource.CARRIER
            )
        return record_final(message, Message.State.FAILED, error=error, note=f"the number opted out at Twilio{code}")
    if error.outcome == Outcome.BAD_NUMBER:
        if message.contact_id:
            contact_services.contact_mark_undeliverable(
                contact_id=message.contact_id, channel="sms", reason=f"Twilio error {error.code}: {error.message}"
            )
        return record_final(message, Message.State.FAILED, error=error, note=f"the number cannot receive SMS{code}")
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


# --- Status callbacks ---------------------------------------------------------------------


def lower_statuses(status: str) -> list[str]:
    rank = PROVIDER_STATUS_RANK.get(status, 0)
    return ["", *(name for name, r in PROVIDER_STATUS_RANK.items() if r < rank)]


def _advance_status(rows: QuerySet[Message], status: str) -> int:
    """Move Twilio's status forward only: a late 'sent' never overwrites 'delivered'."""
    if status not in PROVIDER_STATUS_RANK:
        return 0
    return rows.filter(provider_status__in=lower_statuses(status)).update(
        provider_status=status, updated_at=timezone.now()
    )


# What a status callback may carry, as ASCII digits (str.isdigit() accepts "²", which int()
# refuses): our message id in ?m=, and Twilio's ErrorCode, which must fit the error_code column
# (a PostgreSQL integer).
_MESSAGE_REF = re.compile(r"[0-9]{1,18}", re.ASCII)
_ERROR_CODE = re.compile(r"[0-9]{1,10}", re.ASCII)
MAX_ERROR_CODE = 2_147_483_647


@dataclass(frozen=True)
class StatusUpdate:
    known: bool  # it named a message of ours
    refused: str = ""  # why it was refused (malformed): nothing was applied


def message_status_update(*, params: Mapping[str, str], message_ref: str = "") -> StatusUpdate:
    """Apply one status callback: the status and its consequences together, or nothing.

    A callback whose identifiers or error code are malformed is refused before anything is
    read or written (a NUL or an out-of-range number would fail in PostgreSQL halfway).
    """
    raw_code = (params.get("ErrorCode") or "").strip()
    refused = twilio_ids.message_sid_problem(params) or ""
    if not refused and message_ref and not _MESSAGE_REF.fullmatch(message_ref):
        refused = "malformed message reference (?m=)"
    if not refused and raw_code and not (_ERROR_CODE.fullmatch(raw_code) and int(raw_code) <= MAX_ERROR_CODE):
        refused = "malformed ErrorCode"
    if refused:
        logger.warning("status callback refused: %s", refused)
        return StatusUpdate(known=False, refused=refused)

    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    code = int(raw_code) if raw_code else None
    with transaction.atomic():
        known = _apply_status(sid, status, code, message_ref)
    return StatusUpdate(known=known)


def _apply_status(sid: str, status: str, code: int | None, message_ref: str) -> bool:
    message = Message.objects.filter(provider_sid=sid).first()
    if message is None and message_ref:
        message = Message.objects.filter(pk=int(message_ref), direction=Message.Direction.OUTBOUND).first()
        if message is not None and not message.provider_sid:
            # The callback overtook the worker, or answers an attempt that timed out.
            Message.objects.filter(
                pk=message.pk, state__in=[Message.State.PENDING, Message.State.SENDING, Message.State.GAVE_UP]
            ).update(state=Message.State.SUBMITTED, uncertain=False, next_attempt_at=None)
            Message.objects.filter(pk=message.pk, provider_sid__isnull=True).update(provider_sid=sid)
    if message is None:
        logger.warning("status callback for unknown message %r (status %r): ignored", sid, status[:20])
        return False
    if status not in PROVIDER_STATUS_RANK:
        logger.warning("status callback for message %s has unknown status %r: ignored", message.pk, status[:20])
        return True

    advanced = _advance_status(Message.objects.filter(pk=message.pk), status)
    if advanced and code is not None:
        Message.objects.filter(pk=message.pk).update(error_code=code, error_message=f"Twilio error {code}")
        outcome = classify(code=code)
        if message.contact_id and outcome == Outcome.OPTED_OUT:
            contact_services.contact_opt_out_by_id(
                contact_id=message.contact_id, channel="sms", source=Contact.OptOutSource.CARRIER
            )
        elif message.contact_id and outcome == Outcome.BAD_NUMBER:
            contact_services.contact_mark_undeliverable(
                contact_id=message.contact_id, channel="sms", reason=f"Twilio error {code} on delivery"
            )
    logger.info("message %s status %s%s", message.pk, status, "" if advanced else " (older than known: kept)")
    return True


# --- Sweeping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    outbound: list[int]


def messages_sweep(*, now: datetime | None = None, limit: int = 500) -> Swept:
    """Find outbound work whose task was lost (Redis down, a worker killed) so it can be queued again.

    Oldest first. Received texts are the SMS channel's to sweep (sms.services.inbound_sms_sweep).
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SMS_STALE_AFTER_SECONDS)
    oldest_first = ("created_at", "id")
    # A send whose worker died mid-request may have reached Twilio: ask before resending.
    abandoned = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.SENDING, claimed_at__lt=stale)
        .order_by(*oldest_first)
        .values_list("pk", flat=True)[:limit]
    )
    Message.objects.filter(pk__in=abandoned, state=Message.State.SENDING).update(
        state=Message.State.PENDING, uncertain=True, next_attempt_at=None, updated_at=now
    )
    # Scheduled messages are not queued one by one: bulk senders claim them (the reminder
    # tick starts senders whenever some wait).
    abandoned = list(
        Message.objects.filter(pk__in=abandoned)
        .exclude(purpose__in=BULK_PURPOSES)
        .order_by(*oldest_first)
        .values_list("pk", flat=True)
    )
    outbound = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.PENDING)
        .exclude(purpose__in=BULK_PURPOSES)
        .filter(Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, updated_at__lt=stale))
        .order_by(*oldest_first)
        .values_list("pk", flat=True)[:limit]
    )
    outbound = list(dict.fromkeys([*abandoned, *outbound]))
    if outbound:
        logger.warning("sweeper re-queues %s outbound messages", len(outbound))
    return Swept(outbound)
