"""Placing reminder calls, at the account's calls-per-second limit, exactly once per attempt.

The scheduler (reminders.scheduler) writes one call row per (contact, occurrence): a
`Message` with channel "voice" and purpose "reminder", unique like an SMS reminder's. Here:

    claim      a batch of waiting call rows (`SELECT ... FOR UPDATE SKIP LOCKED`, then
               pending -> sending, the attempt counted), so two placers never take one row
    ask first  an attempt that may have reached Twilio (a timeout, a 5xx, a worker killed
               mid-request: the row is `uncertain`) is looked up first (calls to that
               number since the attempt began); found, it is that attempt, not a new one
    check      at its slot, the reminder rules again: STOP by text, the calls consent and
               reachability, reminders stopped or paused, the quiet hours, the voice grace
    pace       one slot per call from the shared Redis limiter (VOICE_CALLS_PER_SECOND)
    place      through the voice backend: Url and StatusCallback name the row and the attempt
    record     on the row; the attempts' history (SID, status, who answered, error code) is
               kept in its `params`, which erasure and retention blank like any text

Status callbacks (`call_status_record`) only move an attempt forward. One that arrives
before the create's answer is recorded against its attempt (named in the URL) and settled
as soon as the answer is: under the row's lock, whichever comes second settles the call.
A final outcome follows reminders.call_rules: delivered (a person, or a machine after the
beep); busy, no answer or a retryable failure tried again later; a permanent error marks
the number unreachable by voice only; when no attempt is left, the reminder goes out as a
text instead (VOICE_FALLBACK_TO_SMS), by the bulk SMS senders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text, sms_size
from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phone import masked
from messaging import outbound, ratelimit
from messaging.backends.base import SendError, Submitted
from messaging.backends.voice import OutgoingCall, VoiceBackend, get_voice_backend
from messaging.models import CALL_STATUS_RANK, Message
from messaging.presend import NotBefore, presend_verdict
from messaging.twilio_errors import Outcome
from reminders import call_rules
from reminders import services as reminder_services
from reminders.call_rules import CallOutcome, CallResult
from reminders.models import ReminderPlan

logger = logging.getLogger(__name__)

TWIML_PATH = "/twilio/voice/reminder/"
STATUS_PATH = "/twilio/voice/reminder/status/"
# Reminders, and advisories to people who chose reminder calls (a heat advisory is a call to them).
CALL_PURPOSES = (Message.Purpose.REMINDER, Message.Purpose.ADVISORY)
# How soon to try again when Twilio could not be reached or asked (not a call attempt).
PROVIDER_RETRY_SECONDS = 30
# A batch is about two seconds of the limit: a claim is always fresh.
WINDOW_SECONDS = 2.0
UNLIMITED_BATCH = 100


# --- URLs -------------------------------------------------------------------------------------


def twiml_url(message_id: int, attempt: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{TWIML_PATH}?m={message_id}&a={attempt}"


def status_url(message_id: int, attempt: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{STATUS_PATH}?m={message_id}&a={attempt}"


def outgoing_call(message: Message, attempt: int) -> OutgoingCall:
    return OutgoingCall(
        to=message.phone_number,
        sender=message.service_number or settings.TWILIO_FROM_NUMBER,
        url=twiml_url(message.pk, attempt),
        status_callback=status_url(message.pk, attempt),
        ring_seconds=settings.VOICE_RING_SECONDS,
        time_limit_seconds=settings.VOICE_REMINDER_TIME_LIMIT_SECONDS,
    )


# --- Attempts' history, on the row ------------------------------------------------------------


def attempts_of(message: Message) -> list[dict[str, Any]]:
    """The call's attempts, oldest first: n, started, sid, status, answered_by, error_code, outcome."""
    history = message.params.get("attempts") if isinstance(message.params, dict) else None
    return history if isinstance(history, list) else []


def _attempt(message: Message, n: int) -> dict[str, Any]:
    """Attempt `n`'s entry, created if missing (a status callback may come first)."""
    if not isinstance(message.params, dict):
        message.params = {}
    history = message.params.setdefault("attempts", [])
    for entry in history:
        if entry.get("n") == n:
            return entry  # type: ignore[no-any-return]
    entry = {"n": n}
    history.append(entry)
    history.sort(key=lambda e: e.get("n", 0))
    return entry


# --- Claiming and placing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    claimed: int
    placed: int = 0
    not_placed: int = 0
    failed: int = 0

    @property
    def full(self) -> bool:
        return self.claimed >= batch_size()


def batch_size() -> int:
    rate = settings.VOICE_CALLS_PER_SECOND
    return UNLIMITED_BATCH if rate <= 0 else max(1, int(rate * WINDOW_SECONDS))


def _waiting(now: datetime) -> Q:
    return Q(
        direction=Message.Direction.OUTBOUND,
        channel=Message.Channel.VOICE,
        state=Message.State.PENDING,
        purpose__in=CALL_PURPOSES,
    ) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def calls_waiting(*, now: datetime | None = None, up_to: int = 1) -> int:
    now = now or timezone.now()
    return len(Message.objects.filter(_waiting(now)).values_list("pk", flat=True)[:up_to])


def calls_claim(*, limit: int, now: datetime | None = None) -> list[Message]:
    """Claim up to `limit` waiting call rows for this placer, atomically; each claim counts an attempt."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_waiting(now))
            .order_by("scheduled_for", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(
            state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return list(Message.objects.filter(pk__in=ids).select_related("contact").order_by("scheduled_for", "id"))


def calls_place_batch(*, backend: VoiceBackend | None = None) -> Placed:
    """Claim one batch of due calls and place each at its slot of the shared limit."""
    backend = backend or get_voice_backend()
    messages = calls_claim(limit=batch_size())
    if not messages:
        return Placed(0)
    try:
        slots = ratelimit.reserve_calls(len(messages))
    except Exception:
        # No Redis, no pacing: hand the batch back (the attempt given back too) and wait.
        Message.objects.filter(pk__in=[m.pk for m in messages], state=Message.State.SENDING).update(
            state=Message.State.PENDING, attempts=F("attempts") - 1, updated_at=timezone.now()
        )
        logger.exception("call placer: the calls-per-second limiter is unavailable; calls wait")
        return Placed(len(messages), not_placed=len(messages))
    counts = {"placed": 0, "not_placed": 0, "failed": 0}
    for index, message in enumerate(messages):
        counts[call_place(message, backend=backend, wait=lambda i=index: slots.wait_for(i))] += 1
    return Placed(len(messages), **counts)


def call_place(message: Message, *, backend: VoiceBackend, wait: Any = None) -> str:
    """Place one claimed call (state `sending`, its attempt counted). Returns "placed",
    "not_placed" or "failed"."""
    now = timezone.now()
    attempt = message.attempts
    flying = message.params.get("in_flight") if isinstance(message.params, dict) else None
    if message.uncertain and isinstance(flying, int):
        # That attempt may have reached Twilio: it keeps its number, found or placed anew.
        attempt = flying
        started = _attempt(message, attempt).get("started")
        since = datetime.fromisoformat(started) if started else message.created_at
        try:
            earlier = backend.find_placed(outgoing_call(message, attempt), since=since)
        except SendError as error:
            _retry_soon(message, error, give_back=True)
            return "failed"
        if earlier is not None:
            logger.info("call %s: the earlier attempt reached Twilio as %s; not placed again", message.pk, earlier.sid)
            _record_placed(message.pk, attempt, earlier)
            return "placed"
    refused = call_refusal(message, now)
    if refused is not None:
        _record_refusal(message, refused)
        return "not_placed"
    if wait is not None:
        wait()
    _record_started(message.pk, attempt)
    try:
        placed = backend.place_call(outgoing_call(message, attempt))
    except SendError as error:
        _record_error(message.pk, attempt, error)
        return "failed"
    except Exception as error:  # a bug, after the request may have left: ask before calling again
        _record_error(
            message.pk, attempt, SendError(f"unexpected {type(error).__name__}", outcome=Outcome.RETRY, uncertain=True)
        )
        logger.exception("call %s: unexpected error placing it", message.pk)
        return "failed"
    _record_placed(message.pk, attempt, placed)
    return "placed"


# --- The reminder rules, again at the call's slot ------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    note: str
    missed: bool = False  # too late or quiet hours
    as_text: bool = False  # send the reminder as a text instead (the person may not be called now)
    wait_until: datetime | None = None  # an advisory in the quiet hours waits for the morning


def call_refusal(message: Message, now: datetime) -> Refusal | None:
    """Why this call may not be placed now, if it may not.

    First what only calls have: STOP by text stops everything; a person who went back to
    texts, or who cannot be called (a permanent error, calls opted out), gets the reminder
    as a text instead. Then the same pre-send checks as every message of its purpose,
    registered by their owner (messaging.presend; reminders: pause, stopped, quiet hours,
    the grace period, which is VOICE_GRACE_MINUTES for a call).
    """
    contact = message.contact
    if contact is None:
        return Refusal("not sent: no contact")
    if contact.is_opted_out("sms"):
        return Refusal("not sent: the number has opted out")
    verdict = presend_verdict(message, now)
    if isinstance(verdict, NotBefore):
        return Refusal(verdict.note, wait_until=verdict.at)
    if verdict is not None:
        return Refusal(verdict.note, missed=verdict.missed)
    plan = reminder_services.plan_of(contact)
    if plan is not None and plan.channel != ReminderPlan.Channel.VOICE:
        return Refusal("not called: reminders are texts again", as_text=True)
    if not contact.can_receive("voice"):
        return Refusal("not called: the number cannot be called", as_text=True)
    return None


# --- Recording ----------------------------------------------------------------------------------


def _locked(message_id: int) -> Message:
    return Message.objects.select_for_update(of=("self",)).select_related("contact").get(pk=message_id)


def _record_refusal(message: Message, refusal: Refusal) -> None:
    with transaction.atomic():
        row = _locked(message.pk)
        row.attempts = max(row.attempts - 1, 0)  # nothing was placed
        if refusal.wait_until is not None:
            _save(
                row,
                state=Message.State.PENDING,
                next_attempt_at=refusal.wait_until,
                note=refusal.note,
                attempts=row.attempts,
            )
            return
        if refusal.as_text:
            _fall_back(row, note=refusal.note)
            return
        state = Message.State.MISSED if refusal.missed else Message.State.CANCELLED
        _save(row, state=state, note=refusal.note, attempts=row.attempts)


def _record_started(message_id: int, attempt: int) -> None:
    """Written before the create leaves: a worker killed mid-request leaves the attempt named
    (`in_flight`), so the next placer asks Twilio about exactly that one."""
    with transaction.atomic():
        row = _locked(message_id)
        _attempt(row, attempt)["started"] = timezone.now().isoformat()
        row.params["in_flight"] = attempt
        _save(row, attempts=attempt)


def _record_placed(message_id: int, attempt: int, placed: Submitted) -> None:
    with transaction.atomic():
        row = _locked(message_id)
        row.params.pop("in_flight", None)
        entry = _attempt(row, attempt)
        entry["sid"] = placed.sid
        if _rank(placed.status) > _rank(entry.get("status", "")):
            entry["status"] = placed.status
        fields: dict[str, Any] = {
            "state": Message.State.SUBMITTED,
            "attempts": attempt,
            "uncertain": False,
            "next_attempt_at": None,
            "submitted_at": timezone.now(),
            "provider_status": entry.get("status", placed.status),
        }
        if not Message.objects.filter(provider_sid=placed.sid).exclude(pk=row.pk).exists():
            fields["provider_sid"] = placed.sid
        _save(row, **fields)
        logger.info("call %s to %s placed as %s (attempt %s)", row.pk, masked(row.phone_number), placed.sid, attempt)
        _settle(row)


def _record_error(message_id: int, attempt: int, error: SendError) -> None:
    with transaction.atomic():
        row = _locked(message_id)
        entry = _attempt(row, attempt)
        entry["error_code"] = error.code
        if not error.uncertain:
            row.params.pop("in_flight", None)
        if error.outcome == Outcome.RETRY:
            # Twilio did not take it (or may have: `uncertain`): not the person's busy line.
            # Try again soon, within the voice grace; the attempt is given back.
            entry["outcome"] = "not placed: Twilio unavailable"
            _retry_soon(row, error, give_back=True, locked=True)
            return
        outcome = call_rules.error_outcome(outcome=error.outcome, code=error.code)
        row.error_code, row.error_message = error.code, error.message[:500]
        _finish(row, entry, outcome)


def _retry_soon(message: Message, error: SendError, *, give_back: bool, locked: bool = False) -> None:
    now = timezone.now()
    rows = Message.objects.filter(pk=message.pk, state=Message.State.SENDING)
    fields: dict[str, Any] = {
        "state": Message.State.PENDING,
        "uncertain": message.uncertain or error.uncertain,
        "next_attempt_at": now + timedelta(seconds=PROVIDER_RETRY_SECONDS),
        "error_code": error.code,
        "error_message": error.message[:500],
        "updated_at": now,
    }
    if give_back:
        fields["attempts"] = F("attempts") - 1
    if locked:
        fields["params"] = message.params
    rows.update(**fields)
    logger.warning("call %s: %s; trying again in %s s", message.pk, error.message, PROVIDER_RETRY_SECONDS)


def _save(row: Message, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    Message.objects.filter(pk=row.pk).update(params=row.params, updated_at=row.updated_at, **fields)


def _rank(status: str) -> int:
    return CALL_STATUS_RANK.get(status, 0)


# --- Status callbacks ---------------------------------------------------------------------------


def call_status_record(*, message_ref: str, attempt_ref: str, params: dict[str, str]) -> str:
    """A status callback for attempt `attempt_ref` of call row `message_ref`. Returns "" when
    recorded, else why it was refused (a 400)."""
    if not (message_ref.isascii() and message_ref.isdigit() and attempt_ref.isascii() and attempt_ref.isdigit()):
        return "the call and attempt are not named"
    status = params.get("CallStatus", "")
    if status not in CALL_STATUS_RANK:
        return "unknown CallStatus"
    sid = params.get("CallSid", "")
    code_text = params.get("ErrorCode", "") or params.get("SipResponseCode", "")
    code = int(code_text) if code_text.isascii() and code_text.isdigit() and len(code_text) < 10 else None
    with transaction.atomic():
        row = (
            Message.objects.select_for_update(of=("self",))
            .select_related("contact")
            .filter(pk=int(message_ref))
            .first()
        )
        if row is None or row.channel != Message.Channel.VOICE or row.direction != Message.Direction.OUTBOUND:
            return "no such call"
        n = int(attempt_ref)
        entry = _attempt(row, n)
        if entry.get("sid") and sid and entry["sid"] != sid:
            return "another call's SID"
        entry.setdefault("sid", sid)
        if _rank(status) > _rank(entry.get("status", "")):
            entry["status"] = status  # forward only
        if params.get("AnsweredBy"):
            entry["answered_by"] = params["AnsweredBy"][:30]
        if code is not None:
            entry["error_code"] = code
        if params.get("CallDuration", "").isdigit():
            entry["duration"] = int(params["CallDuration"])
        fields: dict[str, Any] = {}
        if n == row.attempts and _rank(status) > _rank(row.provider_status):
            fields["provider_status"] = status
        _save(row, **fields)
        _settle(row)
    return ""


def _settle(row: Message) -> None:
    """Apply the current attempt's final outcome once both its create answer and its final
    status are in (the caller holds the row's lock)."""
    if row.state != Message.State.SUBMITTED:
        return  # the create's answer is not recorded yet (or the call is settled)
    entry = _attempt(row, row.attempts)
    if entry.get("outcome"):
        return
    outcome = call_rules.call_outcome(
        status=entry.get("status", ""), answered_by=entry.get("answered_by", ""), error_code=entry.get("error_code")
    )
    if outcome is None:
        return
    if outcome.delivered:
        entry["outcome"] = outcome.description
        row.error_code = None
        _save(row, note=outcome.description)
        return
    row.error_code = entry.get("error_code")
    _finish(row, entry, outcome)


def _finish(row: Message, entry: dict[str, Any], outcome: CallOutcome) -> None:
    """An attempt failed: call again later, or stop (mark the number, fall back to a text)."""
    entry["outcome"] = outcome.description
    contact = row.contact
    if outcome.result == CallResult.UNREACHABLE and row.contact_id is not None:
        contact_services.contact_mark_undeliverable(
            contact_id=row.contact_id, channel="voice", reason=f"Twilio error {entry.get('error_code')}"
        )
        contact = Contact.objects.get(pk=row.contact_id)
    first = attempts_of(row)[0].get("started") if attempts_of(row) else None
    due = row.scheduled_for or (datetime.fromisoformat(first) if first else None)  # an advisory: its first call
    if outcome.result == CallResult.RETRY and contact is not None and due is not None:
        zone = reminder_services.contact_zone(contact)
        at = call_rules.next_call_at(
            scheduled_for=due,
            attempts=row.attempts,
            now=timezone.now(),
            zone=zone,
            quiet=reminder_services.quiet_hours(),
        )
        if at is not None:
            note = f"{outcome.description}: calling again at {at.astimezone(zone):%H:%M}"
            _save(row, state=Message.State.PENDING, next_attempt_at=at, note=note, error_code=row.error_code)
            return
    row.contact = contact
    _fall_back(row, note=f"{outcome.description} after {row.attempts} attempt(s)")


def _fall_back(row: Message, *, note: str) -> bool:
    """No call will reach them for this occurrence: the reminder as a text, if they may get texts.

    The text is the same reminder topic's SMS text, in the same language, due now. Returns
    True when a text was written.
    """
    contact = row.contact
    text = None
    if call_rules.falls_back_to_sms(contact) and row.topic_id is not None:
        slug = Topic.objects.filter(pk=row.topic_id).values_list("slug", flat=True).first()
        text = advice_selectors.topic_text(slug, row.language or None) if slug else None
    if contact is None or text is None or not text.sms_text.strip():
        _save(
            row,
            state=Message.State.FAILED,
            note=f"{note}; no text instead"[:300],
            error_code=row.error_code,
            attempts=row.attempts,
        )
        return False
    body = render_sms_text(text.sms_text)
    size = sms_size(body)
    now = timezone.now()
    if row.purpose == Message.Purpose.ADVISORY:
        # One row per advisory and recipient: the row itself becomes the text (its calls stay in params).
        _save(
            row,
            channel=Message.Channel.SMS,
            body=body,
            language=text.language,
            encoding=size.encoding,
            segments=size.segments,
            state=Message.State.PENDING,
            next_attempt_at=None,
            note=f"{note}; sent as a text instead"[:300],
            attempts=0,
        )
        transaction.on_commit(_start_text_senders)
        return True
    try:
        with transaction.atomic():
            outbound.message_new(
                purpose=Message.Purpose.REMINDER,
                contact=contact,
                phone_number=row.phone_number,
                body=body,
                language=text.language,
                topic_id=row.topic_id,
                scheduled_for=now,
                slot=row.slot,
            ).save()
    except IntegrityError:
        pass  # written already (a repeated callback): one text per occurrence
    _save(
        row,
        state=Message.State.FAILED,
        note=f"{note}; sent as a text instead"[:300],
        error_code=row.error_code,
        attempts=row.attempts,
    )
    transaction.on_commit(_start_text_senders)
    return True


def _start_text_senders() -> None:
    from messaging.tasks import start_bulk_senders

    start_bulk_senders()
