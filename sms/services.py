"""The SMS channel's inbound half: recording a text, answering it, re-queueing lost work.

Exactly-once rests on the database, not on Celery:
- an inbound message is unique on Twilio's MessageSid, so a webhook replay is a no-op;
- an inbound message has at most one reply (a unique constraint), so processing it twice
  cannot answer twice;
- a reply is created already claimed (`sending`) by the worker that decided it, which
  delivers it once this commits (`messaging.outbound.deliver`).

What a text means and what it changes is the conversation's (`conversation.services.respond`);
this module holds what is SMS about it: Twilio's parameters, the row per message, the hourly
reply cap, answering from the number that was texted.

Failure is contained to one message: an inbound message whose handling raises (or kills
its worker) is tried at most INBOUND_MAX_ATTEMPTS times, then answered with the menu and
recorded `failed`; the sweeper takes the oldest work first and at most SWEEP_PER_NUMBER
messages of one number per sweep.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from advice.encoding import render_sms_text
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phone import masked, to_e164
from conversation.rules import Effect
from conversation.services import Answer, menu, respond
from messaging import outbound, privacy_notice, queries, twilio_ids
from messaging.models import Message
from messaging.outbound import error_place, retry_delay
from privacy import services as privacy
from project.rows import insert_row, save_fields

logger = logging.getLogger(__name__)

MAX_STORED_VALUE = 10_000  # characters kept of any one webhook parameter
# Handling one inbound message again after a failure helps when the failure was passing
# (a lost database connection, a deadlock); a failure that repeats is a bug or poison
# input, and the person gets the menu instead of silence.
INBOUND_MAX_ATTEMPTS = 3
# One number's messages are handled one at a time anyway (its contact row is locked):
# queueing more of them per sweep only lets one number crowd out everyone else.
SWEEP_PER_NUMBER = 5


def _clean(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; keep everything else as received.
    return value.replace("\x00", "\ufffd")[:MAX_STORED_VALUE]


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
    malformed = twilio_ids.message_sid_problem(clean)
    if malformed:
        state, note = Message.State.REJECTED, malformed
    elif not raw_from:
        state, note = Message.State.IGNORED, "no From: nobody to answer"
    elif phone is None:
        state, note = Message.State.IGNORED, "sender is not a phone number (short code or sender ID): cannot answer"
    elif phone in our_numbers:
        state, note = Message.State.IGNORED, "sent from our own number: not answered, to avoid a loop"
    else:
        state, note = Message.State.RECEIVED, ""
    fields.update(phone_number=phone or raw_from[:64], state=state, note=note)

    if malformed:
        # Kept for the record, without the SID (it is not one), and never answered.
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
        logger.warning(
            "inbound SMS %s (message %s) from %s not answered: %s", sid, message.pk, masked(raw_from[:40]), note
        )
    return InboundRecorded(message, created=True)


@dataclass(frozen=True)
class InboundHandled:
    reply: Message | None  # claimed for sending: `outbound.deliver` it
    retry_in: float | None = None  # seconds until handling should be tried again


def inbound_sms_process(*, message_id: int) -> InboundHandled:
    """Handle one inbound message, containing any failure to it.

    Every attempt is counted before it starts (and committed), so that an attempt that
    kills its worker counts too. A failed attempt asks for a retry; the last one, or a
    message whose earlier attempts never finished, gets the menu and the state `failed`.
    """
    attempt = _inbound_attempt_start(message_id)
    if attempt is None:
        return InboundHandled(None)  # handled already, or not ours to handle
    if attempt > INBOUND_MAX_ATTEMPTS:
        return InboundHandled(_inbound_give_up(message_id, attempts=attempt - 1, error=None))
    try:
        return InboundHandled(inbound_sms_handle(message_id=message_id))
    except Exception as error:
        if attempt >= INBOUND_MAX_ATTEMPTS:
            return InboundHandled(_inbound_give_up(message_id, attempts=attempt, error=error))
        delay = retry_delay(attempt)
        # The exception's text may quote the message or the number: its type and place only.
        logger.warning(
            "inbound message %s: attempt %s of %s failed (%s), retrying in %.1f s",
            message_id,
            attempt,
            INBOUND_MAX_ATTEMPTS,
            error_place(error),
            delay,
        )
        return InboundHandled(None, retry_in=delay)


def _inbound_attempt_start(message_id: int) -> int | None:
    """Count one more attempt at a received message; its attempts so far, or None if not received."""
    table = Message._meta.db_table
    # One statement, committed at once (autocommit): it must outlive a rolled-back attempt
    # and a worker that dies. RETURNING saves a second query on the hot path.
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET "attempts" = "attempts" + 1, "updated_at" = %s '  # noqa: S608 - model metadata only
            'WHERE "id" = %s AND "direction" = %s AND "state" = %s RETURNING "attempts"',
            [timezone.now(), message_id, Message.Direction.INBOUND, Message.State.RECEIVED],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _inbound_give_up(message_id: int, *, attempts: int, error: BaseException | None) -> Message | None:
    """Answer with the menu (unless opted out or over the hourly cap) and record the message as failed."""
    cause = error_place(error) if error is not None else "earlier attempts never finished (their worker died)"
    note = f"could not be handled after {attempts} attempts ({cause})"
    reply = None
    try:
        with transaction.atomic():
            inbound = Message.objects.select_for_update().filter(pk=message_id).first()
            if inbound is None or inbound.state != Message.State.RECEIVED:
                return None
            new_number = contact_services.contact_locked(phone_number=inbound.phone_number) is None
            contact = contact_services.contact_get_for_update(phone_number=inbound.phone_number)
            inbound.note = f"{note}: not answered (opted out)"
            if not contact.is_opted_out("sms"):
                answer = menu(contact=contact, channel="sms", note=f"{note}: menu", new_contact=new_number)
                inbound.note = answer.note
                reply = _reply_create(inbound, answer)
            inbound.contact = contact
            inbound.state = Message.State.FAILED
            inbound.language = contact.language_id or ""
            inbound.save(update_fields=["contact", "state", "language", "note", "updated_at"])
    except Exception as fallback_error:
        # Not even the menu could be made: record the failure alone, so it is not tried again.
        inbound_note = f"{note}; the menu failed too ({error_place(fallback_error)})"
        Message.objects.filter(pk=message_id, state=Message.State.RECEIVED).update(
            state=Message.State.FAILED, note=inbound_note[:300], updated_at=timezone.now()
        )
        reply, note = None, inbound_note
    stack = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
    # The one ERROR for this message. Frames show code, never values; the text is left out.
    logger.error(
        "inbound message %s %s; %s%s",
        message_id,
        note,
        "answered with the menu" if reply is not None else "not answered",
        f"\n{stack}" if stack else "",
    )
    return reply


def inbound_sms_handle(*, message_id: int) -> Message | None:
    """Understand one recorded inbound SMS, apply what it asks, and create its reply.

    Returns the reply, already claimed for sending (`outbound.deliver` it once this has
    committed), or None when nothing is sent. Safe to run twice: the second run finds the
    message handled.
    """
    try:
        with transaction.atomic():
            inbound = queries.inbound_for_update(message_id)
            if inbound is None or inbound.state != Message.State.RECEIVED:
                return None
            # The number's row lock serialises its messages across workers, so that "FR" then
            # "KRAMP" sent a second apart are answered in order and the hourly cap is exact.
            contact = contact_services.contact_locked(phone_number=inbound.phone_number)
            answer = respond(
                contact=contact or Contact(phone_number=inbound.phone_number),
                text=inbound.body,
                channel="sms",
                provider_opt_out_type=str(inbound.params.get("OptOutType", "")),
            )
            inbound.note = answer.note
            reply = _reply_create(inbound, answer)
            if answer.effect == Effect.FORGET:
                privacy.forget_erasure_schedule(inbound_id=inbound.pk)
            inbound.contact = answer.contact
            inbound.state = Message.State.HANDLED
            inbound.language = answer.language or ""
            save_fields(inbound, ["contact", "state", "language", "note", "updated_at"])
    except IntegrityError:
        # Another run created this message's reply first (SQLite has no row locks).
        logger.info("inbound message %s was handled by another worker", message_id)
        return None
    logger.info("inbound message %s: %s", message_id, inbound.note)
    return reply


def _reply_create(inbound: Message, answer: Answer) -> Message | None:
    """The answer as an SMS to send at once, unless there is none or the hourly cap is reached."""
    if answer.topic is None:
        return None
    contact = answer.contact
    # A number inserted in this transaction was never sent anything: no need to count.
    limited = not answer.is_opt_out_confirmation and not answer.new_contact
    if limited and _replies_last_hour(contact) >= settings.SMS_REPLY_LIMIT_PER_HOUR:
        inbound.note = f"{answer.note}; not answered: {settings.SMS_REPLY_LIMIT_PER_HOUR} replies in the last hour"
        logger.warning(
            "reply limit reached for %s (%s per hour): message %s not answered",
            masked(contact.phone_number),
            settings.SMS_REPLY_LIMIT_PER_HOUR,
            inbound.pk,
        )
        return None
    body = render_sms_text(answer.text)
    # A new contact's first reply, and every reminder confirmation, say the number is stored.
    body = privacy_notice.with_privacy_notice(
        body, answer.text_language, topic=answer.topic.slug, first_reply=answer.new_contact
    )
    # Created claimed by this worker, which sends it as soon as this commits. If the worker
    # dies first, the sweeper finds a stale claim and asks Twilio before sending. From the
    # number the person texted, so the conversation stays in one thread.
    reply = outbound.message_new(
        purpose=Message.Purpose.OPT_OUT_CONFIRMATION if answer.is_opt_out_confirmation else Message.Purpose.REPLY,
        contact=contact,
        phone_number=contact.phone_number,
        sender=outbound.sender_for(texted=inbound.service_number),
        body=body,
        language=answer.text_language,
        topic=answer.topic,
        reply_to=inbound,
        state=Message.State.SENDING,
        claimed_at=timezone.now(),
        attempts=1,
    )
    insert_row(reply)
    return reply


def _replies_last_hour(contact: Contact) -> int:
    # Replies only: reminders, advisories and the missed rows an outage leaves are not the
    # person asking, and must not cost the most active reminder users their answers.
    return queries.replies_count_since(contact.pk, timezone.now() - timedelta(hours=1))


# --- Sweeping -----------------------------------------------------------------------------


def inbound_sms_sweep(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Received texts whose task was lost (Redis down, a worker killed), to queue again.

    Oldest first, and at most SWEEP_PER_NUMBER per number: a flood from one number (or
    messages that keep failing) never keeps anyone else's messages waiting.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SMS_STALE_AFTER_SECONDS)
    # updated_at, not created_at: a message whose handling was just tried (and is waiting
    # for its retry) is not queued a second time.
    inbound = list(
        Message.objects.filter(direction=Message.Direction.INBOUND, state=Message.State.RECEIVED, updated_at__lt=stale)
        .annotate(
            turn=Window(RowNumber(), partition_by=[F("phone_number")], order_by=[F("created_at").asc(), F("id").asc()])
        )
        .filter(turn__lte=SWEEP_PER_NUMBER)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if inbound:
        logger.warning("sweeper re-queues %s inbound messages", len(inbound))
    return inbound
