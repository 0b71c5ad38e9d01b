"""Message services: recording inbound SMS, answering them, sending, status callbacks, sweeping.

Exactly-once rests on the database, not on Celery:
- an inbound message is unique on Twilio's MessageSid, so a webhook replay is a no-op;
- an inbound message has at most one reply (a unique constraint), so processing it twice
  cannot answer twice;
- a send is claimed before Twilio is called: a reply is created already claimed (`sending`)
  by the worker that decided it; a retry claims its row with a conditional UPDATE
  (pending -> sending); so two workers never send the same row;
- an attempt that may have reached Twilio (a timeout, a 5xx, a worker that died mid-send)
  marks the row `uncertain`, and the next attempt asks Twilio before sending again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.conversation import Decision, Effect, decide
from messaging import queries, ratelimit
from messaging.backends import OutgoingSms, SendError, get_backend
from messaging.encoding import render_sms_text, sms_size
from messaging.models import BULK_PURPOSES, PROVIDER_STATUS_RANK, Message
from messaging.phone import masked, to_e164
from messaging.rows import insert_row, save_fields
from messaging.twilio_errors import Outcome, classify
from reminders import services as subscriber_services
from reminders.models import Subscriber

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/sms/status/"
MAX_STORED_VALUE = 10_000  # characters kept of any one webhook parameter


def _clean(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; keep everything else as received.
    return value.replace("\x00", "\ufffd")[:MAX_STORED_VALUE]


# --- Inbound ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundRecorded:
    message: Message
    created: bool  # False: a replay of a MessageSid already recorded

    @property
    def needs_processing(self) -> bool:
        return self.created and self.message.state == Message.State.RECEIVED


def inbound_sms_record(*, params: Mapping[str, str]) -> InboundRecorded:
    """Store an inbound SMS webhook as a row, once per MessageSid, whatever it contains."""
    clean = {_clean(str(key)): _clean(str(value)) for key, value in params.items()}
    sid = clean.get("MessageSid") or clean.get("SmsSid") or ""
    raw_from = clean.get("From", "")
    body = clean.get("Body", "")
    fields = {
        "direction": Message.Direction.INBOUND,
        "channel": Message.Channel.SMS,
        "body": body,
        "service_number": clean.get("To", "")[:64],
        "params": clean,
    }

    phone = to_e164(raw_from, region=clean.get("FromCountry") or None)
    our_numbers = {settings.TWILIO_FROM_NUMBER, clean.get("To", "")}
    if not sid:
        state, note = Message.State.REJECTED, "no MessageSid: not from Twilio's webhook"
    elif not raw_from:
        state, note = Message.State.IGNORED, "no From: nobody to answer"
    elif phone is None:
        state, note = Message.State.IGNORED, "sender is not a phone number (short code or sender ID): cannot answer"
    elif phone in our_numbers:
        state, note = Message.State.IGNORED, "sent from our own number: not answered, to avoid a loop"
    else:
        state, note = Message.State.RECEIVED, ""
    fields.update(phone_number=phone or raw_from[:64], state=state, note=note)

    if not sid:
        message = Message.objects.create(**fields)
        logger.warning("inbound SMS %s rejected: %s", message.pk, note)
        return InboundRecorded(message, created=True)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                provider_sid=sid, provider_status=clean.get("SmsStatus", "received")[:12], **fields
            )
    except IntegrityError:
        message = Message.objects.get(provider_sid=sid)
        logger.info("inbound SMS %s is a replay of message %s: not handled again", sid, message.pk)
        return InboundRecorded(message, created=False)
    if state == Message.State.RECEIVED:
        logger.info("inbound SMS %s from %s recorded as message %s", sid, masked(phone or ""), message.pk)
    else:
        logger.warning("inbound SMS %s (message %s) from %r not answered: %s", sid, message.pk, raw_from[:40], note)
    return InboundRecorded(message, created=True)


def inbound_sms_handle(*, message_id: int) -> Message | None:
    """Understand one recorded inbound SMS, apply what it asks, and create its reply.

    Returns the reply, already claimed for sending (`message_deliver` it once this has
    committed), or None when nothing is sent. Safe to run twice: the second run finds the
    message handled.
    """
    try:
        with transaction.atomic():
            inbound = queries.inbound_for_update(message_id)
            if inbound is None or inbound.state != Message.State.RECEIVED:
                return None
            subscriber, decision, new_number = _subscriber_and_decision(inbound)
            answer = _apply(decision, subscriber, inbound.body)
            inbound.note = decision.note
            reply = _create_reply(inbound, subscriber, decision, answer, new_number=new_number)
            inbound.subscriber = subscriber
            inbound.state = Message.State.HANDLED
            inbound.language = decision.reply_language or ""
            save_fields(inbound, ["subscriber", "state", "language", "note", "updated_at"])
    except IntegrityError:
        # Another run created this message's reply first (SQLite has no row locks).
        logger.info("inbound message %s was handled by another worker", message_id)
        return None
    logger.info("inbound message %s: %s", message_id, inbound.note)
    return reply


def _subscriber_and_decision(inbound: Message) -> tuple[Subscriber, Decision, bool]:
    """The sender's subscriber (locked), what the message asks, and whether the number is new.

    A new number's row is inserted once its message is understood, with the language of
    its first keyword: one statement fewer than inserting it, then setting the language.
    If the same number's other message inserted it first, decide again on that row.
    """
    while True:
        subscriber = subscriber_services.subscriber_locked(phone_number=inbound.phone_number)
        new_number = subscriber is None
        if subscriber is None:
            subscriber = Subscriber(phone_number=inbound.phone_number)
        decision = decide(
            text=inbound.body,
            index=advice_selectors.keyword_index(),
            stored_language=subscriber.language_id,
            is_opted_out=subscriber.is_opted_out,
            twilio_opt_out_type=str(inbound.params.get("OptOutType", "")),
            is_paused=subscriber.is_paused(),
        )
        if not new_number:
            return subscriber, decision, False
        subscriber.language_id = decision.remember_language
        if subscriber_services.subscriber_insert(subscriber=subscriber):
            return subscriber, decision, True


def _apply(decision: Decision, subscriber: Subscriber, body: str) -> subscriber_services.Reply | None:
    """Make the decision's change; returns the reply when the change chose it (reminders)."""
    if decision.remember_language:
        subscriber_services.subscriber_set_language(subscriber=subscriber, language=decision.remember_language)
    if decision.effect == Effect.OPT_OUT:
        subscriber_services.subscriber_opt_out(subscriber=subscriber, source=Subscriber.OptOutSource.KEYWORD)
    elif decision.effect == Effect.OPT_IN:
        subscriber_services.subscriber_opt_in(subscriber=subscriber)
    elif decision.effect == Effect.REMIND:
        return subscriber_services.reminders_subscribe(subscriber=subscriber, text=body)
    elif decision.effect == Effect.PAUSE:
        return subscriber_services.reminders_pause(subscriber=subscriber, text=body)
    elif decision.effect == Effect.RESUME:
        return subscriber_services.reminders_resume(subscriber=subscriber)
    if decision.reply_topic is None:
        return None
    return subscriber_services.Reply(decision.reply_topic)


def fill_placeholders(text: str, params: Mapping[str, str]) -> str:
    """Put the values into a service message's {placeholders}; other braces stay as written."""
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


def _create_reply(
    inbound: Message,
    subscriber: Subscriber,
    decision: Decision,
    answer: subscriber_services.Reply | None,
    *,
    new_number: bool = False,  # its row was inserted in this transaction: nothing sent to it yet
) -> Message | None:
    if answer is None:
        return None
    limited = not decision.is_opt_out_confirmation and not new_number
    if limited and _replies_last_hour(subscriber) >= settings.SMS_REPLY_LIMIT_PER_HOUR:
        inbound.note = f"{decision.note}; not answered: {settings.SMS_REPLY_LIMIT_PER_HOUR} replies in the last hour"
        logger.warning(
            "reply limit reached for %s (%s per hour): message %s not answered",
            masked(subscriber.phone_number),
            settings.SMS_REPLY_LIMIT_PER_HOUR,
            inbound.pk,
        )
        return None
    text = advice_selectors.topic_text(answer.topic, decision.reply_language)
    if text is None:
        inbound.note = f"{decision.note}; not answered: topic {answer.topic!r} has no text in any language"
        logger.error("topic %r has no text in any language: message %s not answered", answer.topic, inbound.pk)
        return None
    if answer.topic != decision.reply_topic:
        inbound.note = f"{decision.note} -> {answer.topic}"
    body = render_sms_text(fill_placeholders(text.sms_text, answer.params))
    size = sms_size(body)
    # Created claimed by this worker, which sends it as soon as this commits. If the worker
    # dies first, the sweeper finds a stale claim and asks Twilio before sending.
    reply = Message(
        direction=Message.Direction.OUTBOUND,
        channel=Message.Channel.SMS,
        purpose=Message.Purpose.OPT_OUT_CONFIRMATION if decision.is_opt_out_confirmation else Message.Purpose.REPLY,
        subscriber=subscriber,
        phone_number=subscriber.phone_number,
        service_number=_reply_sender(inbound),
        body=body,
        language=text.language,
        topic=text.topic,
        reply_to=inbound,
        state=Message.State.SENDING,
        claimed_at=timezone.now(),
        attempts=1,
        encoding=size.encoding,
        segments=size.segments,
    )
    insert_row(reply)
    return reply


def _replies_last_hour(subscriber: Subscriber) -> int:
    return queries.outbound_count_since(subscriber.pk, timezone.now() - timedelta(hours=1))


def _reply_sender(inbound: Message) -> str:
    """Answer from the number the person texted, so the conversation stays in one thread."""
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        return ""
    ours = to_e164(inbound.service_number) if inbound.service_number.startswith("+") else None
    return ours or settings.TWILIO_FROM_NUMBER


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
    return message_deliver(message=Message.objects.select_related("subscriber").get(pk=message_id))


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
            earlier = backend.find_submitted(sms, since=message.created_at)
            if earlier is not None:
                logger.info(
                    "message %s: an earlier attempt reached Twilio as %s; not sent again", message.pk, earlier.sid
                )
                return record_submitted(message, earlier.sid, earlier.status)
        submitted = backend.send_sms(sms)
    except SendError as error:
        return record_failed_attempt(message, error)
    return record_submitted(message, submitted.sid, submitted.status)


def _refusal(message: Message) -> str:
    """Why this message must not go out now, if it must not."""
    subscriber = message.subscriber
    if subscriber is None:
        return ""
    if subscriber.undeliverable_at is not None:
        return f"not sent: the number is undeliverable ({subscriber.undeliverable_reason})"
    if subscriber.is_opted_out and message.purpose != Message.Purpose.OPT_OUT_CONFIRMATION:
        return "not sent: the number has opted out"
    return ""


def record_submitted(message: Message, sid: str, status: str) -> SendResult:
    queries.submitted_set(message.pk, sid=sid, status=status, lower=lower_statuses(status), now=timezone.now())
    logger.info("message %s to %s accepted as %s (%s)", message.pk, masked(message.phone_number), sid, status)
    return SendResult(Message.State.SUBMITTED)


def record_failed_attempt(message: Message, error: SendError) -> SendResult:
    code = f" (error {error.code})" if error.code else ""
    if error.outcome == Outcome.OPTED_OUT:
        if message.subscriber_id:
            subscriber_services.subscriber_opt_out_by_id(
                subscriber_id=message.subscriber_id, source=Subscriber.OptOutSource.CARRIER
            )
        return record_final(message, Message.State.FAILED, error=error, note=f"the number opted out at Twilio{code}")
    if error.outcome == Outcome.BAD_NUMBER:
        if message.subscriber_id:
            subscriber_services.subscriber_mark_undeliverable(
                subscriber_id=message.subscriber_id, reason=f"Twilio error {error.code}: {error.message}"
            )
        return record_final(message, Message.State.FAILED, error=error, note=f"the number cannot receive SMS{code}")
    if error.outcome == Outcome.FAILED:
        logger.error("message %s cannot be sent: %s", message.pk, error.message)
        return record_final(message, Message.State.FAILED, error=error, note=f"Twilio refused the message{code}")

    uncertain = message.uncertain or error.uncertain
    if message.attempts >= settings.SMS_SEND_MAX_ATTEMPTS:
        logger.error("message %s failed after %s attempts: %s", message.pk, message.attempts, error.message)
        return record_final(
            message,
            Message.State.FAILED,
            error=error,
            uncertain=uncertain,
            note=f"gave up after {message.attempts} attempts{code}",
        )
    delay = retry_delay(message.attempts)
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
        "message %s attempt %s failed, retrying in %.1f s%s: %s",
        message.pk,
        message.attempts,
        delay,
        " (Twilio is asked first)" if uncertain else "",
        error.message,
    )
    return SendResult(Message.State.PENDING, retry_in=delay)


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, capped."""
    step = min(float(settings.SMS_RETRY_MAX_SECONDS), settings.SMS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return float(step / 2 + random.uniform(0, step / 2))


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


def message_status_update(*, params: Mapping[str, str], message_ref: str = "") -> bool:
    """Apply one status callback. Returns False when it names no message of ours."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    raw_code = (params.get("ErrorCode") or "").strip()
    code = int(raw_code) if raw_code.isdigit() else None

    message = Message.objects.filter(provider_sid=sid).first() if sid else None
    if message is None and message_ref.isdigit():
        message = Message.objects.filter(pk=int(message_ref), direction=Message.Direction.OUTBOUND).first()
        if message is not None and sid and not message.provider_sid:
            # The callback overtook the worker, or answers an attempt that timed out.
            Message.objects.filter(pk=message.pk, state__in=[Message.State.PENDING, Message.State.SENDING]).update(
                state=Message.State.SUBMITTED, uncertain=False, next_attempt_at=None
            )
            Message.objects.filter(pk=message.pk, provider_sid__isnull=True).update(provider_sid=sid)
    if message is None:
        logger.warning("status callback for unknown message %r (status %r): ignored", sid, status)
        return False
    if status not in PROVIDER_STATUS_RANK:
        logger.warning("status callback for message %s has unknown status %r: ignored", message.pk, status)
        return True

    advanced = _advance_status(Message.objects.filter(pk=message.pk), status)
    if advanced and code is not None:
        Message.objects.filter(pk=message.pk).update(error_code=code, error_message=f"Twilio error {code}")
        outcome = classify(code=code)
        if message.subscriber_id and outcome == Outcome.OPTED_OUT:
            subscriber_services.subscriber_opt_out_by_id(
                subscriber_id=message.subscriber_id, source=Subscriber.OptOutSource.CARRIER
            )
        elif message.subscriber_id and outcome == Outcome.BAD_NUMBER:
            subscriber_services.subscriber_mark_undeliverable(
                subscriber_id=message.subscriber_id, reason=f"Twilio error {code} on delivery"
            )
    logger.info("message %s status %s%s", message.pk, status, "" if advanced else " (older than known: kept)")
    return True


# --- Sweeping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    inbound: list[int]
    outbound: list[int]


def messages_sweep(*, now: datetime | None = None, limit: int = 500) -> Swept:
    """Find recorded work whose task was lost (Redis down, a worker killed) so it can be queued again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SMS_STALE_AFTER_SECONDS)
    # A send whose worker died mid-request may have reached Twilio: ask before resending.
    abandoned = list(
        Message.objects.filter(
            direction=Message.Direction.OUTBOUND, state=Message.State.SENDING, claimed_at__lt=stale
        ).values_list("pk", flat=True)[:limit]
    )
    Message.objects.filter(pk__in=abandoned, state=Message.State.SENDING).update(
        state=Message.State.PENDING, uncertain=True, next_attempt_at=None, updated_at=now
    )
    inbound = list(
        Message.objects.filter(
            direction=Message.Direction.INBOUND, state=Message.State.RECEIVED, created_at__lt=stale
        ).values_list("pk", flat=True)[:limit]
    )
    # Scheduled messages are not queued one by one: bulk senders claim them (the reminder
    # tick starts senders whenever some wait).
    abandoned = list(
        Message.objects.filter(pk__in=abandoned).exclude(purpose__in=BULK_PURPOSES).values_list("pk", flat=True)
    )
    outbound = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.PENDING)
        .exclude(purpose__in=BULK_PURPOSES)
        .filter(Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, updated_at__lt=stale))
        .values_list("pk", flat=True)[:limit]
    )
    outbound = list(dict.fromkeys([*abandoned, *outbound]))
    if inbound or outbound:
        logger.warning("sweeper re-queues %s inbound and %s outbound messages", len(inbound), len(outbound))
    return Swept(inbound, outbound)
