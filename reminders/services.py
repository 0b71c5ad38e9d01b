"""Reminder services: the reminder times a person chooses by SMS or an admin sets (subscribe,
pause, resume, stop), on the contact's reminder plan.

Every change that affects what a contact should receive goes through `plan_reschedule`,
which keeps `next_reminder_at` (the one column the scheduler reads) true: empty whenever
nothing may be sent. A change to the contact's consent or reachability reaches the plan
through `plan_follow_contact` (registered with contacts in RemindersConfig.ready).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.models import Topic
from contacts.models import Channel, Contact
from contacts.phone import masked
from contacts.time_zones import contact_zone, time_zone_for_number, zone_city
from project.rows import fetch_one
from reminders.models import ReminderPlan
from reminders.schedule import (
    QuietHours,
    format_time,
    format_times,
    next_occurrence,
    parse_times,
    quiet_hours_from_setting,
)

logger = logging.getLogger(__name__)

__all__ = ["contact_zone", "time_zone_for_number"]

SCHEDULE_FIELDS = ["next_reminder_at", "next_reminder_slot"]


def quiet_hours() -> QuietHours:
    parsed = quiet_hours_from_setting(settings.REMINDER_QUIET_HOURS)
    assert parsed is not None, "settings validate REMINDER_QUIET_HOURS"
    return parsed


def default_times() -> tuple[time, ...]:
    return parse_times(settings.REMINDER_DEFAULT_TIMES).times


# Not a secret: it only keeps this hash apart from any other use of the number.
_SPREAD_KEY = b"legcramps.reminders.default-spread"


def spread_offset(phone_number: str) -> int:
    """The contact's minutes before (negative) or after the default times, the same for all of
    them and every time: a keyed hash of the number, over REMINDER_DEFAULT_SPREAD_MINUTES
    (20: -10 to +10 minutes, 08:50 to 09:10)."""
    window = int(settings.REMINDER_DEFAULT_SPREAD_MINUTES)
    if window <= 0:
        return 0
    digest = hashlib.blake2b(phone_number.encode(), key=_SPREAD_KEY, digest_size=8).digest()
    return int.from_bytes(digest, "big") % (window + 1) - window // 2


def _shifted(at: time, minutes: int) -> time:
    moved = (at.hour * 60 + at.minute + minutes) % (24 * 60)
    return time(moved // 60, moved % 60)


def default_times_for(contact: Contact) -> tuple[time, ...]:
    """`REMIND` alone: the default times moved by the contact's offset, so that a popular
    service does not text everyone in the same minute. A time the offset would move into the
    quiet hours moves the other way instead (the defaults themselves lie outside them), or
    stays exact if both ways are quiet."""
    offset = spread_offset(contact.phone_number)
    quiet = quiet_hours()
    spread: set[time] = set()
    for at in default_times():
        moved = next((m for m in (_shifted(at, offset), _shifted(at, -offset)) if not quiet.contains(m)), at)
        spread.add(moved)
    return tuple(sorted(spread))


_PLAN = "SELECT * FROM reminders_reminderplan WHERE contact_id = %s"


def plan_of(contact: Contact) -> ReminderPlan | None:
    """The contact's reminder plan, if they have one (cached on the contact, as
    `contact.reminder_plan` would). Every reply reads it (is the person paused?): written
    out, as the reply path's other statements (messaging.queries)."""
    if contact.pk is None:
        return None
    relation = ReminderPlan._meta.get_field("contact").remote_field
    if not relation.is_cached(contact):
        found = fetch_one(ReminderPlan, _PLAN, [contact.pk])
        relation.set_cached_value(contact, found)
        if found is not None:
            found.contact = contact
    try:
        return contact.reminder_plan
    except ReminderPlan.DoesNotExist:
        return None


def _plan_for_change(contact: Contact) -> ReminderPlan:
    """The contact's plan, a new unsaved one if they have none."""
    plan = plan_of(contact)
    if plan is None:
        plan = ReminderPlan(contact=contact)
    return plan


def contact_has_reminders(contact: Contact) -> bool:
    plan = plan_of(contact)
    return plan is not None and plan.has_reminders


def contact_is_paused(contact: Contact, when: datetime | None = None) -> bool:
    plan = plan_of(contact)
    return plan is not None and plan.is_paused(when)


def plan_times(plan: ReminderPlan | None) -> list[time]:
    return sorted({time.fromisoformat(value) for value in plan.reminder_times}) if plan else []


def plan_reschedule(plan: ReminderPlan, *, now: datetime | None = None, save: bool = True) -> None:
    """Set the plan's next reminder from its times, pause, and the contact's zone and reachability."""
    now = now or timezone.now()
    active = plan.has_reminders and delivery_channel(plan) is not None
    if plan.paused_at is not None and plan.paused_until is None:
        active = False  # paused until the person resumes
    occurrence = None
    if active:
        after = max(now, plan.paused_until) if plan.paused_until else now
        occurrence = next_occurrence(plan_times(plan), contact_zone(plan.contact), after=after)
    plan.next_reminder_at = occurrence.at if occurrence else None
    plan.next_reminder_slot = occurrence.slot if occurrence else ""
    if save and not plan._state.adding:
        plan.save(update_fields=SCHEDULE_FIELDS)


def delivery_channel(plan: ReminderPlan) -> Channel | None:
    """How the plan's next reminder goes out, or None when it cannot go out at all.

    Calls when the person chose them and may be called. `STOP` by text stops everything,
    calls included. A number that cannot be called (a permanent error marked it, or the
    person opted out of calls) gets its reminders as texts when VOICE_FALLBACK_TO_SMS is on
    and it may receive texts: the person asked to be reminded.
    """
    contact = plan.contact
    if contact.is_opted_out("sms"):
        return None
    if plan.channel == ReminderPlan.Channel.VOICE:
        if contact.can_receive("voice"):
            return "voice"
        if not settings.VOICE_FALLBACK_TO_SMS:
            return None
    return "sms" if contact.can_receive("sms") else None


def plan_follow_contact(contact: Contact) -> None:
    """The contact's consent or reachability changed: set their next reminder right."""
    plan = plan_of(contact)
    if plan is not None:
        plan.contact = contact
        plan_reschedule(plan)


@dataclass(frozen=True)
class Reply:
    """A service message to answer with: a topic slug and the words to fill in."""

    topic: str
    params: dict[str, str] = field(default_factory=dict)
    # Words that are another topic's text, such as {zone} -> Topic.ZONE_LOCAL ("Belgian time"):
    # filled in the language the reply is sent in, which is settled only when it is rendered.
    # Where that topic has no text in that language, `params` fills the word.
    topic_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TimesCheck:
    times: tuple[time, ...]
    problem: Reply | None  # why they cannot be used, as the reply that says so


def check_times(text: str) -> TimesCheck:
    """The reminder times in a message (or an admin's field), or the reply that refuses them."""
    parsed = parse_times(text)
    if parsed.invalid:
        return TimesCheck((), Reply(Topic.REMINDERS_UNREADABLE, {"input": ", ".join(parsed.invalid)[:60]}))
    if len(parsed.times) > settings.REMINDER_MAX_TIMES:
        return TimesCheck((), Reply(Topic.REMINDERS_TOO_MANY, {"max": str(settings.REMINDER_MAX_TIMES)}))
    quiet = quiet_hours()
    refused = [at for at in parsed.times if quiet.contains(at)]
    if refused:
        params = {"input": format_times(refused), "start": format_time(quiet.start), "end": format_time(quiet.end)}
        return TimesCheck((), Reply(Topic.REMINDERS_QUIET, params))
    return TimesCheck(parsed.times, None)


def _reminders_on(contact: Contact, plan: ReminderPlan) -> Reply:
    # Never an IANA id ("Europe/Brussels") in a text: the home zone by name, in the reader's
    # language ("Belgian time"), any other zone by its city.
    zone = contact_zone(contact).key
    at_home = zone == str(settings.REMINDER_DEFAULT_TIME_ZONE)
    return Reply(
        Topic.REMINDERS_ON_CALL if plan.channel == ReminderPlan.Channel.VOICE else Topic.REMINDERS_ON,
        {"times": format_times(plan_times(plan)), "zone": zone_city(zone)},
        topic_params={"zone": Topic.ZONE_LOCAL} if at_home else {},
    )


def _no_reminders(contact: Contact) -> Reply:
    return Reply(Topic.REMINDERS_NONE, {"times": format_times(default_times_for(contact))})


def _save(plan: ReminderPlan, fields: list[str]) -> None:
    if plan._state.adding:
        plan.save(force_insert=True)
    else:
        plan.save(update_fields=fields)


def reminders_set_times(
    *,
    contact: Contact,
    times: tuple[time, ...] | list[time],
    now: datetime | None = None,
    channel: str | None = None,
) -> ReminderPlan:
    """Subscribe with these times (replacing any), unpaused; the caller has checked them and
    holds the contact's row lock (as every path here: SMS, the phone menu and the admin).

    `channel` ("sms" or "voice") sets how they go out; None keeps the plan's (texts for a new one).
    """
    now = now or timezone.now()
    plan = _plan_for_change(contact)
    plan.reminder_times = [format_time(at) for at in sorted(set(times))]
    if channel is not None:
        plan.channel = channel
    if not contact.time_zone:
        contact.time_zone = time_zone_for_number(contact.phone_number)
        contact.save(update_fields=["time_zone", "updated_at"])
    if plan.reminders_since is None:
        plan.reminders_since = now
    plan.paused_at = None
    plan.paused_until = None
    plan_reschedule(plan, now=now, save=False)
    _save(plan, ["reminder_times", "channel", "reminders_since", "paused_at", "paused_until", *SCHEDULE_FIELDS])
    logger.info("contact %s reminders by %s at %s", masked(contact.phone_number), plan.channel, plan.reminder_times)
    return plan


def reminders_set_channel(*, contact: Contact, channel: str) -> ReminderPlan | None:
    """Reminders as texts ("sms") or calls ("voice"), times unchanged (the admin, the phone
    menu's 3); the caller holds the contact's row lock. None when the contact has no plan."""
    plan = plan_of(contact)
    if plan is None:
        return None
    plan.channel = channel
    plan_reschedule(plan, save=False)
    plan.save(update_fields=["channel", *SCHEDULE_FIELDS])
    logger.info("contact %s reminders by %s", masked(contact.phone_number), channel)
    return plan


@dataclass(frozen=True)
class CallsPeak:
    at: datetime | None  # the minute most reminder calls are next due in
    calls: int
    capacity: int  # calls the limit places within the voice grace period (0: no limit)

    @property
    def over(self) -> bool:
        return self.capacity > 0 and self.calls > self.capacity


def reminder_calls_peak() -> CallsPeak:
    """The minute the most reminder calls are next due in, against what VOICE_CALLS_PER_SECOND
    can place within VOICE_GRACE_MINUTES (later ones would be missed): for the admin's warning."""
    from django.db.models import Count
    from django.db.models.functions import TruncMinute

    from reminders.call_rules import capacity_per_grace

    busiest = (
        ReminderPlan.objects.filter(channel=ReminderPlan.Channel.VOICE, next_reminder_at__isnull=False)
        .annotate(minute=TruncMinute("next_reminder_at"))
        .values("minute")
        .annotate(calls=Count("pk"))
        .order_by("-calls")
        .first()
    )
    if busiest is None:
        return CallsPeak(None, 0, capacity_per_grace())
    return CallsPeak(busiest["minute"], busiest["calls"], capacity_per_grace())


def reminders_subscribe(*, contact: Contact, text: str, now: datetime | None = None) -> Reply:
    """REMIND [CALL|SMS] [times]: set the times (the defaults, or the current ones, when none
    are given), and the channel when a channel word follows the reminder word."""
    checked = check_times(text)
    if checked.problem:
        return checked.problem
    channel = advice_selectors.keyword_index().reminder_channel(text)
    current = plan_of(contact)
    # No times given: keep the ones they have, else their spread defaults.
    kept_or_default = tuple(plan_times(current)) if current and current.has_reminders else default_times_for(contact)
    times = checked.times or kept_or_default
    plan = reminders_set_times(contact=contact, times=times, now=now, channel=channel)
    return _reminders_on(contact, plan)


# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DAYS = re.compile(r"[0-9]+", re.ASCII)


def pause_days(text: str) -> int | None:
    """The number of days in a PAUSE message (its first word made of digits), capped; None if none."""
    word = next((word for word in text.split() if _DAYS.fullmatch(word)), None)
    if word is None:
        return None
    digits = word.lstrip("0") or "0"
    # More digits than any pause needs: int() of thousands of digits is slow, then refused.
    if len(digits) > len(str(settings.REMINDER_PAUSE_MAX_DAYS)):
        return int(settings.REMINDER_PAUSE_MAX_DAYS)
    return min(int(digits), settings.REMINDER_PAUSE_MAX_DAYS)


def reminders_pause(*, contact: Contact, text: str, now: datetime | None = None) -> Reply:
    """PAUSE [days]: no reminders until RESUME, or until local midnight that many days on."""
    now = now or timezone.now()
    plan = plan_of(contact)
    if plan is None or not plan.has_reminders:
        return _no_reminders(contact)
    days = pause_days(text)
    plan.paused_at = now
    plan.paused_until = None
    reply = Reply(Topic.REMINDERS_PAUSED)
    if days:
        zone: ZoneInfo = contact_zone(contact)
        resume_day = now.astimezone(zone).date() + timedelta(days=days)
        plan.paused_until = datetime.combine(resume_day, time(0, 0), tzinfo=zone)
        reply = Reply(Topic.REMINDERS_PAUSED_UNTIL, {"date": resume_day.strftime("%d/%m/%Y")})
    plan_reschedule(plan, now=now, save=False)
    plan.save(update_fields=["paused_at", "paused_until", *SCHEDULE_FIELDS])
    logger.info("contact %s paused reminders until %s", masked(contact.phone_number), plan.paused_until)
    return reply


def reminders_resume(*, contact: Contact, now: datetime | None = None) -> Reply:
    """RESUME (or START while paused): reminders again from the next chosen time."""
    plan = plan_of(contact)
    if plan is None or not plan.has_reminders:
        return _no_reminders(contact)
    plan.paused_at = None
    plan.paused_until = None
    plan_reschedule(plan, now=now, save=False)
    plan.save(update_fields=["paused_at", "paused_until", *SCHEDULE_FIELDS])
    return _reminders_on(contact, plan)


def reminders_stop(*, contact: Contact) -> None:
    """No more reminders (an admin clearing the times, FORGET); other messages are unaffected."""
    plan = plan_of(contact)
    if plan is None:
        return
    plan.reminder_times = []
    plan.paused_at = None
    plan.paused_until = None
    plan_reschedule(plan, save=False)
    plan.save(update_fields=["reminder_times", "paused_at", "paused_until", *SCHEDULE_FIELDS])


# --- The phone menu's 8 (reminder calls), for the voice channel ------------------------------
# Each returns the prompt to say (a voice-reminder-* topic and its words); the caller holds
# the contact's row lock, as for REMIND by SMS.

_FOUR_DIGITS = re.compile(r"[0-9]{4}", re.ASCII)


def reminder_calls_setting(*, contact: Contact) -> Reply:
    """8: what the person has now: calls or texts, at which times, or no reminders."""
    plan = plan_of(contact)
    if plan is None or not plan.has_reminders:
        return Reply(Topic.VOICE_REMINDER_SETTING_NONE)
    topic = (
        Topic.VOICE_REMINDER_SETTING_CALLS
        if plan.channel == ReminderPlan.Channel.VOICE
        else Topic.VOICE_REMINDER_SETTING_TEXTS
    )
    return Reply(topic, {"times": format_times(plan_times(plan))})


def reminder_calls_on(*, contact: Contact, now: datetime | None = None) -> Reply:
    """8 then 1: reminder calls at the person's times (the defaults if they have none), unpaused."""
    current = plan_of(contact)
    times = tuple(plan_times(current)) if current and current.has_reminders else default_times_for(contact)
    plan = reminders_set_times(contact=contact, times=times, now=now, channel=ReminderPlan.Channel.VOICE)
    return Reply(Topic.VOICE_REMINDER_CALLS_ON, {"times": format_times(plan_times(plan))})


def reminder_calls_at(*, contact: Contact, digits: str, now: datetime | None = None) -> Reply:
    """8 then four digits ("0930"): one reminder call a day at that time; a time that is no
    time, or inside the quiet hours, is refused with the hours that can be used."""
    quiet = quiet_hours()
    refused = Reply(
        Topic.VOICE_REMINDER_TIME_REFUSED, {"end": format_time(quiet.end), "start": format_time(quiet.start)}
    )
    if not _FOUR_DIGITS.fullmatch(digits):
        return refused
    hour, minute = int(digits[:2]), int(digits[2:])
    if hour > 23 or minute > 59 or quiet.contains(time(hour, minute)):
        return refused
    plan = reminders_set_times(
        contact=contact, times=(time(hour, minute),), now=now, channel=ReminderPlan.Channel.VOICE
    )
    return Reply(Topic.VOICE_REMINDER_CALLS_ON, {"times": format_times(plan_times(plan))})


def reminder_texts_again(*, contact: Contact) -> Reply:
    """8 then 3: the reminders as text messages again, times unchanged (none: the defaults)."""
    plan = plan_of(contact)
    if plan is None or not plan.has_reminders:
        plan = reminders_set_times(contact=contact, times=default_times_for(contact), channel=ReminderPlan.Channel.SMS)
    else:
        reminders_set_channel(contact=contact, channel=ReminderPlan.Channel.SMS)
    return Reply(Topic.VOICE_REMINDER_TEXTS_ON, {"times": format_times(plan_times(plan))})
