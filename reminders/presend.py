"""What reminders and advisories must respect at the moment they are sent, registered with
the outbound pipeline (messaging.presend) when the app is ready.

The channel layer checks consent and reachability for every message; these are the
reminder rules on top:
- a reminder or advisory goes to a contact whose reminder plan is not paused;
- a reminder is not sent once the person stopped their reminders, nor more than
  REMINDER_GRACE_MINUTES late, nor inside the quiet hours (each recorded as missed);
- an advisory that reaches someone inside their quiet hours waits until they end.

Replies and opt-out confirmations have no such check, on purpose: a paused person who
texts KRAMP still gets the answer. Pause is about reminders, not about the conversation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings

from contacts.time_zones import contact_zone
from messaging.models import Message
from messaging.presend import NotBefore, Refusal, Verdict, register_check
from reminders import services
from reminders.schedule import QuietHours, quiet_hours_from_setting

# The relations the checks read (loaded with each claimed batch): the contact and its plan.
PLAN = "contact__reminder_plan"


def has_contact(message: Message, now: datetime) -> Verdict:
    if message.contact is None:
        return Refusal("not sent: no contact")
    return None


def not_paused(message: Message, now: datetime) -> Verdict:
    assert message.contact is not None  # has_contact runs first
    if services.contact_is_paused(message.contact, now):
        return Refusal("not sent: reminders are paused")
    return None


def reminders_on(message: Message, now: datetime) -> Verdict:
    assert message.contact is not None
    if not services.contact_has_reminders(message.contact):
        return Refusal("not sent: reminders were stopped")
    return None


def not_too_late(message: Message, now: datetime) -> Verdict:
    # A reminder call may be placed (and retried) until its own, longer grace period ends.
    minutes = (
        settings.VOICE_GRACE_MINUTES if message.channel == Message.Channel.VOICE else settings.REMINDER_GRACE_MINUTES
    )
    if message.scheduled_for is not None and now - message.scheduled_for > timedelta(minutes=minutes):
        return Refusal(f"missed: more than {minutes:g} minutes late", missed=True)
    return None


def reminder_outside_quiet_hours(message: Message, now: datetime) -> Verdict:
    if quiet_hours_end(message, now) is not None:
        return Refusal("missed: the quiet hours began", missed=True)
    return None


def advisory_outside_quiet_hours(message: Message, now: datetime) -> Verdict:
    end = quiet_hours_end(message, now)
    return NotBefore(end, "held until the quiet hours end") if end is not None else None


@lru_cache(maxsize=4)
def _quiet_hours(setting: str) -> QuietHours:
    parsed = quiet_hours_from_setting(setting)
    assert parsed is not None, "settings validate REMINDER_QUIET_HOURS"
    return parsed


def quiet_hours_end(message: Message, now: datetime) -> datetime | None:
    """When the contact's quiet hours end, if it is quiet for them now; else None."""
    assert message.contact is not None
    quiet = _quiet_hours(settings.REMINDER_QUIET_HOURS)
    local = now.astimezone(contact_zone(message.contact))
    if not quiet.contains(local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def register() -> None:
    """Called from RemindersConfig.ready(): the order is the order the checks run in."""
    for check in (has_contact, not_paused, reminders_on, reminder_outside_quiet_hours, not_too_late):
        register_check(Message.Purpose.REMINDER, check, related=[PLAN])
    for check in (has_contact, not_paused, advisory_outside_quiet_hours):
        register_check(Message.Purpose.ADVISORY, check, related=[PLAN])
