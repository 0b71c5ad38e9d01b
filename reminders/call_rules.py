"""Reminder calls' rules, as pure functions: what a call's outcome means, when to try again,
and when the reminder goes out as a text instead. No database, no clock of their own.

- A call answered by a person, or by a machine after the beep (the short reminder is left
  on the voicemail), is delivered.
- Busy, no answer, cancelled and retryable failures are tried again VOICE_RETRY_MINUTES
  later, at most VOICE_MAX_ATTEMPTS attempts in all, never inside the quiet hours, never
  after the occurrence's voice grace period (VOICE_GRACE_MINUTES after its time).
- A permanent error (invalid number, no voice route or geographic permission, blocked,
  caller ID not allowed: messaging.twilio_errors.VOICE_BAD_NUMBER_CODES) marks the number
  unreachable by voice only, and is never tried again.
- After the last failed attempt (or a permanent error) the reminder goes out as a text, if
  VOICE_FALLBACK_TO_SMS is on and the person may receive texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from django.conf import settings

from contacts.models import Contact
from messaging.models import CALL_STATUS_RANK
from messaging.twilio_errors import Outcome, classify_call
from reminders.schedule import QuietHours

FINAL_CALL_STATUSES = frozenset(status for status, rank in CALL_STATUS_RANK.items() if rank == 5)
MACHINE_ANSWERS = frozenset({"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other"})


class CallResult(Enum):
    ANSWERED = "answered"  # by a person (or unknown: someone picked up)
    VOICEMAIL = "voicemail"  # by a machine: the reminder was left after the beep
    RETRY = "retry"  # busy, no answer, cancelled, a retryable failure
    UNREACHABLE = "unreachable"  # a permanent error: never call this number again
    NOT_A_PHONE = "not-a-phone"  # a fax answered: nobody will ever hear it


@dataclass(frozen=True)
class CallOutcome:
    result: CallResult
    description: str  # for the row's note and the admin: "busy", "answered by a machine", "failed (13224)"

    @property
    def delivered(self) -> bool:
        return self.result in (CallResult.ANSWERED, CallResult.VOICEMAIL)


def call_outcome(*, status: str, answered_by: str = "", error_code: int | None = None) -> CallOutcome | None:
    """What a call's final status means; None while the call is not over."""
    if status not in FINAL_CALL_STATUSES:
        return None
    code = f" ({error_code})" if error_code else ""
    if status == "completed":
        if answered_by == "fax":
            return CallOutcome(CallResult.NOT_A_PHONE, "answered by a fax")
        if answered_by in MACHINE_ANSWERS:
            return CallOutcome(CallResult.VOICEMAIL, f"answered by a machine ({answered_by})")
        return CallOutcome(CallResult.ANSWERED, "answered by a person" if answered_by == "human" else "answered")
    if status == "failed" and classify_call(code=error_code) == Outcome.BAD_NUMBER:
        return CallOutcome(CallResult.UNREACHABLE, f"failed{code}: the number cannot be called")
    # busy, no-answer, canceled, and failures that are not the number's fault.
    return CallOutcome(CallResult.RETRY, f"{status}{code}")


def error_outcome(*, outcome: Outcome, code: int | None) -> CallOutcome:
    """What an error placing the call (Calls create refused it) means for the reminder."""
    described = f"refused ({code})" if code else "refused"
    if outcome == Outcome.BAD_NUMBER:
        return CallOutcome(CallResult.UNREACHABLE, f"{described}: the number cannot be called")
    return CallOutcome(CallResult.RETRY, described)


def voice_grace() -> timedelta:
    return timedelta(minutes=settings.VOICE_GRACE_MINUTES)


def too_late(*, scheduled_for: datetime, now: datetime) -> bool:
    """Past the occurrence's voice grace period: no call any more."""
    return now - scheduled_for > voice_grace()


def next_call_at(
    *, scheduled_for: datetime, attempts: int, now: datetime, zone: ZoneInfo, quiet: QuietHours
) -> datetime | None:
    """When to call again after `attempts` failed attempts, or None: no more attempts.

    Never beyond VOICE_MAX_ATTEMPTS, never after the voice grace period, never inside the
    quiet hours (a retry that would fall in them is not made: the evening's reminder is not
    moved to the morning).
    """
    if attempts >= settings.VOICE_MAX_ATTEMPTS:
        return None
    at = now + timedelta(minutes=settings.VOICE_RETRY_MINUTES)
    if too_late(scheduled_for=scheduled_for, now=at):
        return None
    if quiet.contains(at.astimezone(zone).time()):
        return None
    return at


def falls_back_to_sms(contact: Contact | None) -> bool:
    """Whether a reminder whose call failed for good goes out as a text instead."""
    return bool(settings.VOICE_FALLBACK_TO_SMS) and contact is not None and contact.can_receive("sms")


def capacity_per_grace() -> int:
    """How many reminder calls VOICE_CALLS_PER_SECOND can place within the voice grace period
    (first attempts only): more due in the same minute and the last ones would be missed."""
    return int(settings.VOICE_CALLS_PER_SECOND * settings.VOICE_GRACE_MINUTES * 60)
