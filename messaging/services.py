"""Message services: recording inbound SMS, answering them, status callbacks, sweeping.
Sending, for replies as for everything else, is messaging.outbound's.

Exactly-once rests on the database, not on Celery:
- an inbound message is unique on Twilio's MessageSid, so a webhook replay is a no-op;
- an inbound message has at most one reply (a unique constraint), so processing it twice
  cannot answer twice;
- a reply is created already claimed (`sending`) by the worker that decided it, which
  delivers it once this commits (messaging.outbound.deliver).

Failure is contained to one message: an inbound message whose handling raises (or kills
its worker) is tried at most INBOUND_MAX_ATTEMPTS times, then answered with the menu and
recorded `failed`; the sweeper takes the oldest work first and at most SWEEP_PER_NUMBER
messages of one number per sweep.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.conversation import Decision, Effect, decide
from advice.encoding import UNFILLED_PLACEHOLDER, fill_placeholders, render_sms_text
from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phone import language_for_number, masked, to_e164
from messaging import outbound, privacy, privacy_notice, queries, recipients, twilio_ids
from messaging.models import BULK_PURPOSES, PROVIDER_STATUS_RANK, Message
from messaging.rows import insert_row, save_fields
from messaging.twilio_errors import classify
from reminders import services as reminder_services

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
        delay = outbound.retry_delay(attempt)
        # The exception's text may quote the message or the number: its type and place only.
        logger.warning(
            "inbound message %s: attempt %s of %s failed (%s), retrying in %.1f s",
            message_id,
            attempt,
            INBOUND_MAX_ATTEMPTS,
            outbound.error_place(error),
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
    cause = outbound.error_place(error) if error is not None else "earlier attempts never finished (their worker died)"
    note = f"could not be handled after {attempts} attempts ({cause})"
    reply = None
    try:
        with transaction.atomic():
            inbound = Message.objects.select_for_update().filter(pk=message_id).first()
            if inbound is None or inbound.state != Message.State.RECEIVED:
                return None
            new_number = contact_services.contact_locked(phone_number=inbound.phone_number) is None
            contact = contact_services.contact_get_for_update(phone_number=inbound.phone_number)
            menu = Decision(Effect.NONE, Topic.MENU, contact.language_id, None, False, f"{note}: menu")
            inbound.note = f"{note}: not answered (opted out)"
            if not contact.sms_opted_out:
                inbound.note = menu.note
                reply = _create_reply(
                    inbound, contact, menu, reminder_services.Reply(Topic.MENU), new_number=new_number
                )
            inbound.contact = contact
            inbound.state = Message.State.FAILED
            inbound.language = contact.language_id or ""
            inbound.save(update_fields=["contact", "state", "language", "note", "updated_at"])
    except Exception as fallback_error:
        # Not even the menu could be made: record the failure alone, so it is not tried again.
        inbound_note = f"{note}; the menu failed too ({outbound.error_place(fallback_error)})"
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
            contact, decision, new_number = _contact_and_decision(inbound)
            answer = _apply(decision, contact, inbound.body)
            if decision.effect == Effect.FORGET:
                privacy.contact_forget_requested(contact=contact, inbound_id=inbound.pk)
            inbound.note = decision.note
            reply = _create_reply(inbound, contact, decision, answer, new_number=new_number)
            inbound.contact = contact
            inbound.state = Message.State.HANDLED
            inbound.language = decision.reply_language or ""
            save_fields(inbound, ["contact", "state", "language", "note", "updated_at"])
    except IntegrityError:
        # Another run created this message's reply first (SQLite has no row locks).
        logger.info("inbound message %s was handled by another worker", message_id)
        return None
    logger.info("inbound message %s: %s", message_id, inbound.note)
    return reply


def _contact_and_decision(inbound: Message) -> tuple[Contact, Decision, bool]:
    """The sender's contact (locked), what the message asks, and whether the number is new.

    A new number's row is inserted once its message is understood, with the language of
    its first keyword: one statement fewer than inserting it, then setting the language.
    If the same number's other message inserted it first, decide again on that row.
    """
    while True:
        contact = contact_services.contact_locked(phone_number=inbound.phone_number)
        new_number = contact is None
        if contact is None:
            contact = Contact(phone_number=inbound.phone_number)
        decision = decide(
            text=inbound.body,
            index=advice_selectors.keyword_index(),
            stored_language=contact.language_id,
            number_language=language_for_number(inbound.phone_number),
            is_opted_out=contact.sms_opted_out,
            twilio_opt_out_type=str(inbound.params.get("OptOutType", "")),
            is_paused=reminder_services.contact_is_paused(contact),
        )
        if not new_number:
            return contact, decision, False
        contact.language_id = decision.remember_language
        if contact_services.contact_insert(contact=contact):
            return contact, decision, True


def _apply(decision: Decision, contact: Contact, body: str) -> reminder_services.Reply | None:
    """Make the decision's change; returns the reply when the change chose it (reminders)."""
    if decision.remember_language:
        contact_services.contact_set_language(contact=contact, language=decision.remember_language)
    if decision.effect == Effect.OPT_OUT:
        contact_services.contact_opt_out(contact=contact, channel="sms", source=Contact.OptOutSource.KEYWORD)
    elif decision.effect == Effect.OPT_IN:
        contact_services.contact_opt_in(contact=contact, channel="sms")
    elif decision.effect == Effect.REMIND:
        return reminder_services.reminders_subscribe(contact=contact, text=body)
    elif decision.effect == Effect.PAUSE:
        return reminder_services.reminders_pause(contact=contact, text=body)
    elif decision.effect == Effect.RESUME:
        return reminder_services.reminders_resume(contact=contact)
    if decision.reply_topic is None:
        return None
    return reminder_services.Reply(decision.reply_topic)


def _create_reply(
    inbound: Message,
    contact: Contact,
    decision: Decision,
    answer: reminder_services.Reply | None,
    *,
    new_number: bool = False,  # its row was inserted in this transaction: nothing sent to it yet
) -> Message | None:
    if answer is None:
        return None
    limited = not decision.is_opt_out_confirmation and not new_number
    if limited and _replies_last_hour(contact) >= settings.SMS_REPLY_LIMIT_PER_HOUR:
        inbound.note = f"{decision.note}; not answered: {settings.SMS_REPLY_LIMIT_PER_HOUR} replies in the last hour"
        logger.warning(
            "reply limit reached for %s (%s per hour): message %s not answered",
            masked(contact.phone_number),
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
    params = {**answer.params, **_topic_params(answer, text.language)}
    body = render_sms_text(fill_placeholders(text.sms_text, params))
    unfilled = UNFILLED_PLACEHOLDER.findall(body)
    if unfilled and answer.topic != Topic.MENU:
        # A text meant for other words ("{start}") reached by a path that has none: never
        # send the braces; the menu is an answer, silence is not.
        logger.error("topic %r has unfilled %s: message %s gets the menu", answer.topic, unfilled, inbound.pk)
        inbound.note = f"{inbound.note or decision.note}; {answer.topic} has unfilled {', '.join(unfilled)}: menu"
        return _create_reply(inbound, contact, decision, reminder_services.Reply(Topic.MENU), new_number=new_number)
    if unfilled:
        logger.error("the menu has unfilled %s: message %s not answered", unfilled, inbound.pk)
        return None
    body = privacy_notice.with_privacy_notice(body, text.language, topic=answer.topic, first_reply=new_number)
    # Created claimed by this worker, which sends it as soon as this commits. If the worker
    # dies first, the sweeper finds a stale claim and asks Twilio before sending.
    reply = outbound.message_new(
        purpose=Message.Purpose.OPT_OUT_CONFIRMATION if decision.is_opt_out_confirmation else Message.Purpose.REPLY,
        contact=contact,
        phone_number=contact.phone_number,
        sender=outbound.sender_for(texted=inbound.service_number),
        body=body,
        language=text.language,
        topic=text.topic,
        reply_to=inbound,
        state=Message.State.SENDING,
        claimed_at=timezone.now(),
        attempts=1,
    )
    insert_row(reply)
    return reply


def _topic_params(answer: reminder_services.Reply, language: str) -> dict[str, str]:
    """The reply's words that are other topics' texts, in the language the reply is in."""
    filled: dict[str, str] = {}
    for name, slug in answer.topic_params.items():
        found = advice_selectors.topic_text(slug, language)
        if found is not None and found.language == language:
            filled[name] = found.sms_text.strip()
    return filled


def _replies_last_hour(contact: Contact) -> int:
    # Replies only: reminders, advisories and the missed rows an outage leaves are not the
    # person asking, and must not cost the most active reminder users their answers.
    return queries.replies_count_since(contact.pk, timezone.now() - timedelta(hours=1))


# --- Status callbacks ---------------------------------------------------------------------


def _advance_status(rows: QuerySet[Message], status: str) -> int:
    """Move Twilio's status forward only: a late 'sent' never overwrites 'delivered'."""
    if status not in PROVIDER_STATUS_RANK:
        return 0
    return rows.filter(provider_status__in=outbound.lower_statuses(status)).update(
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
        recipients.outcome_apply(message, classify(code=code), reason=f"Twilio error {code} on delivery")
    logger.info("message %s status %s%s", message.pk, status, "" if advanced else " (older than known: kept)")
    return True


# --- Sweeping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    inbound: list[int]
    outbound: list[int]


def messages_sweep(*, now: datetime | None = None, limit: int = 500) -> Swept:
    """Find recorded work whose task was lost (Redis down, a worker killed) so it can be queued again.

    Oldest first, and at most SWEEP_PER_NUMBER inbound messages per number: a flood from one
    number (or messages that keep failing) never keeps anyone else's messages waiting.
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
    # updated_at, not created_at: a message whose handling was just tried (and is waiting
    # for its retry) is not queued a second time.
    inbound = list(
        Message.objects.filter(direction=Message.Direction.INBOUND, state=Message.State.RECEIVED, updated_at__lt=stale)
        .annotate(
            turn=Window(RowNumber(), partition_by=[F("phone_number")], order_by=[F("created_at").asc(), F("id").asc()])
        )
        .filter(turn__lte=SWEEP_PER_NUMBER)
        .order_by(*oldest_first)
        .values_list("pk", flat=True)[:limit]
    )
    # Scheduled messages are not queued one by one: bulk senders claim them (beat's
    # messaging.tasks.start_senders starts them whenever some wait).
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
    if inbound or outbound:
        logger.warning("sweeper re-queues %s inbound and %s outbound messages", len(inbound), len(outbound))
    return Swept(inbound, outbound)
