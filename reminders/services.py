"""Subscriber services: the number's subscriber, opting out and in, language, reachability,
and the reminder times a person chooses by SMS or an admin sets (subscribe, pause, resume).

Every change that affects what a subscriber should receive goes through
`subscriber_reschedule`, which keeps `next_reminder_at` (the one column the scheduler
reads) true: empty whenever nothing may be sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from phonenumbers import timezone as phone_time_zones

from advice.models import Topic
from messaging.phone import masked
from messaging.rows import fetch_one, insert_row, save_fields
from reminders.models import Subscriber
from reminders.schedule import (
    QuietHours,
    format_time,
    format_times,
    is_time_zone,
    next_occurrence,
    parse_times,
    quiet_hours_from_setting,
)

logger = logging.getLogger(__name__)


def subscriber_get_for_update(*, phone_number: str) -> Subscriber:
    """The number's subscriber, created if new, locked until the transaction ends.

    Locking serialises the handling of one number's messages across workers, so that
    "FR" then "KRAMP" sent a second apart are answered in order, and the hourly reply
    count is exact.
    """
    subscriber = subscriber_locked(phone_number=phone_number)
    if subscriber is not None:
        return subscriber
    subscriber = Subscriber(phone_number=phone_number)
    if subscriber_insert(subscriber=subscriber):
        return subscriber
    subscriber = subscriber_locked(phone_number=phone_number)
    assert subscriber is not None, "a conflicting row is committed before the insert returns"
    return subscriber


_SUBSCRIBER = "SELECT * FROM reminders_subscriber WHERE phone_number = %s"
_SUBSCRIBER_FOR_UPDATE = "SELECT * FROM reminders_subscriber WHERE phone_number = %s FOR UPDATE"


def subscriber_locked(*, phone_number: str) -> Subscriber | None:
    """The number's subscriber if it has one, locked until the transaction ends.

    select_for_update().filter(phone_number=...).first(), written out: it runs for every
    inbound message (0.8 ms of CPU through the ORM, 0.2 ms so).
    """
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    # SQLite has no row locks; its transactions take the write lock at BEGIN (settings).
    sql = _SUBSCRIBER_FOR_UPDATE if connection.features.has_select_for_update else _SUBSCRIBER
    return fetch_one(Subscriber, sql, [phone_number])


def subscriber_insert(*, subscriber: Subscriber) -> bool:
    """Insert a new number's row, locked by this transaction until it ends. False, with
    nothing inserted and no error that would abort the transaction, when the same number's
    other message inserted it first: lock that one with subscriber_locked."""
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    inserted = insert_row(subscriber, ignore_conflicts=True)
    if inserted:
        # A number erased on request (FORGET) that texts again starts afresh.
        from reminders.suppression import suppression_clear

        suppression_clear(number=subscriber.phone_number)
    return inserted


def subscriber_opt_out(*, subscriber: Subscriber, source: str) -> bool:
    """Opt the number out of everything. Returns False if it already was."""
    if subscriber.is_opted_out:
        return False
    subscriber.is_opted_out = True
    subscriber.opted_out_at = timezone.now()
    subscriber.opt_out_source = source
    subscriber_reschedule(subscriber, save=False)
    subscriber.save(update_fields=["is_opted_out", "opted_out_at", "opt_out_source", *SCHEDULE_FIELDS, "updated_at"])
    logger.info("subscriber %s opted out (%s)", masked(subscriber.phone_number), source)
    return True


def subscriber_opt_in(*, subscriber: Subscriber) -> bool:
    """Let the number receive messages again. Returns False if it was not opted out."""
    if not subscriber.is_opted_out:
        return False
    subscriber.is_opted_out = False
    subscriber.opted_in_at = timezone.now()
    subscriber.opt_out_source = ""
    # The reminder times chosen before the STOP apply again: START means messages again.
    subscriber_reschedule(subscriber, save=False)
    subscriber.save(update_fields=["is_opted_out", "opted_in_at", "opt_out_source", *SCHEDULE_FIELDS, "updated_at"])
    logger.info("subscriber %s opted back in", masked(subscriber.phone_number))
    return True


def subscriber_set_language(*, subscriber: Subscriber, language: str) -> None:
    if subscriber.language_id != language:
        subscriber.language_id = language
        save_fields(subscriber, ["language", "updated_at"])


def subscriber_mark_undeliverable(*, subscriber_id: int, reason: str) -> None:
    """Twilio refused the number for good (invalid, landline, not SMS-capable): stop trying it."""
    updated = Subscriber.objects.filter(pk=subscriber_id, undeliverable_at__isnull=True).update(
        undeliverable_at=timezone.now(),
        undeliverable_reason=reason[:200],
        next_reminder_at=None,
        next_reminder_slot="",
        updated_at=timezone.now(),
    )
    if updated:
        logger.warning("subscriber %s marked undeliverable: %s", subscriber_id, reason)


def subscriber_opt_out_by_id(*, subscriber_id: int, source: str) -> None:
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        subscriber_opt_out(subscriber=subscriber, source=source)


def subscriber_stamp_opt_out_change(*, subscriber: Subscriber, source: str) -> None:
    """An admin changed the opt-out flag: record when, and who, before the form saves it."""
    now = timezone.now()
    if subscriber.is_opted_out:
        subscriber.opted_out_at = now
        subscriber.opt_out_source = source
    else:
        subscriber.opted_in_at = now
        subscriber.opt_out_source = ""


def subscribers_mark_deliverable(*, subscriber_ids: list[int]) -> int:
    """Let numbers Twilio had refused be tried again (after the person fixed their phone)."""
    count = 0
    with transaction.atomic():
        for subscriber in Subscriber.objects.select_for_update().filter(
            pk__in=subscriber_ids, undeliverable_at__isnull=False
        ):
            subscriber.undeliverable_at = None
            subscriber.undeliverable_reason = ""
            subscriber_reschedule(subscriber, save=False)
            subscriber.save(update_fields=["undeliverable_at", "undeliverable_reason", *SCHEDULE_FIELDS, "updated_at"])
            count += 1
    return count


# --- Reminder times -----------------------------------------------------------------------

SCHEDULE_FIELDS = ["next_reminder_at", "next_reminder_slot"]


def quiet_hours() -> QuietHours:
    parsed = quiet_hours_from_setting(settings.REMINDER_QUIET_HOURS)
    assert parsed is not None, "settings validate REMINDER_QUIET_HOURS"
    return parsed


def default_times() -> tuple[time, ...]:
    return parse_times(settings.REMINDER_DEFAULT_TIMES).times


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone_for_number(phone_number: str) -> str:
    """The number's time zone when all the zones its range may be in keep one clock, else the default.

    A UK mobile may be in London, Guernsey, Jersey or the Isle of Man: four zones, one clock.
    A Russian or Australian mobile spans several clocks: the configured default it is.
    """
    try:
        number = phonenumbers.parse(phone_number, None)
    except phonenumbers.NumberParseException:
        return str(settings.REMINDER_DEFAULT_TIME_ZONE)
    zones = tuple(sorted(z for z in phone_time_zones.time_zones_for_number(number) if is_time_zone(z)))
    if zones and _keep_one_clock(zones):
        # The country's main zone reads best in a confirmation: London, not Guernsey.
        return next((z for z in zones if z in _MAIN_ZONES), zones[0])
    return str(settings.REMINDER_DEFAULT_TIME_ZONE)


_MAIN_ZONES = {"Europe/London"}


@lru_cache(maxsize=256)
def _keep_one_clock(zones: tuple[str, ...]) -> bool:
    """Whether these zones show the same local time at every hour of this year and the next."""
    if len(zones) == 1:
        return True
    start = datetime(timezone.now().year, 1, 1, tzinfo=UTC)
    instants = [start + timedelta(hours=hours) for hours in range(0, 2 * 366 * 24, 6)]
    first, *others = (_zone(name) for name in zones)
    return all(
        all(instant.astimezone(other).utcoffset() == instant.astimezone(first).utcoffset() for other in others)
        for instant in instants
    )


def subscriber_zone(subscriber: Subscriber) -> ZoneInfo:
    name = subscriber.time_zone if subscriber.time_zone and is_time_zone(subscriber.time_zone) else None
    return _zone(name or time_zone_for_number(subscriber.phone_number))


def subscriber_times(subscriber: Subscriber) -> list[time]:
    return sorted({time.fromisoformat(value) for value in subscriber.reminder_times})


def subscriber_reschedule(subscriber: Subscriber, *, now: datetime | None = None, save: bool = True) -> None:
    """Set the subscriber's next reminder from their times, zone, pause and reachability."""
    now = now or timezone.now()
    active = subscriber.has_reminders and subscriber.is_reachable
    if subscriber.paused_at is not None and subscriber.paused_until is None:
        active = False  # paused until the person resumes
    occurrence = None
    if active:
        after = max(now, subscriber.paused_until) if subscriber.paused_until else now
        occurrence = next_occurrence(subscriber_times(subscriber), subscriber_zone(subscriber), after=after)
    subscriber.next_reminder_at = occurrence.at if occurrence else None
    subscriber.next_reminder_slot = occurrence.slot if occurrence else ""
    if save and subscriber.pk:
        subscriber.save(update_fields=[*SCHEDULE_FIELDS, "updated_at"])


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


def zone_city(key: str) -> str:
    """A time zone as readers know it, by its city: "America/New_York" -> "New York"."""
    return key.rsplit("/", 1)[-1].replace("_", " ")


def _reminders_on(subscriber: Subscriber) -> Reply:
    # Never an IANA id ("Europe/Brussels") in a text: the home zone by name, in the reader's
    # language ("Belgian time"), any other zone by its city.
    zone = subscriber_zone(subscriber).key
    at_home = zone == str(settings.REMINDER_DEFAULT_TIME_ZONE)
    return Reply(
        Topic.REMINDERS_ON,
        {"times": format_times(subscriber_times(subscriber)), "zone": zone_city(zone)},
        topic_params={"zone": Topic.ZONE_LOCAL} if at_home else {},
    )


def _no_reminders() -> Reply:
    return Reply(Topic.REMINDERS_NONE, {"times": format_times(default_times())})


def reminders_set_times(
    *, subscriber: Subscriber, times: tuple[time, ...] | list[time], now: datetime | None = None
) -> None:
    """Subscribe with these times (replacing any), unpaused; the caller has checked them."""
    now = now or timezone.now()
    subscriber.reminder_times = [format_time(at) for at in sorted(set(times))]
    if not subscriber.time_zone:
        subscriber.time_zone = time_zone_for_number(subscriber.phone_number)
    if subscriber.reminders_since is None:
        subscriber.reminders_since = now
    subscriber.paused_at = None
    subscriber.paused_until = None
    subscriber_reschedule(subscriber, now=now, save=False)
    subscriber.save()
    logger.info("subscriber %s reminders at %s", masked(subscriber.phone_number), subscriber.reminder_times)


def reminders_subscribe(*, subscriber: Subscriber, text: str, now: datetime | None = None) -> Reply:
    """REMIND [times]: set the times (the defaults, or the current ones, when none are given)."""
    checked = check_times(text)
    if checked.problem:
        return checked.problem
    times = checked.times or (tuple(subscriber_times(subscriber)) if subscriber.has_reminders else default_times())
    reminders_set_times(subscriber=subscriber, times=times, now=now)
    return _reminders_on(subscriber)


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


def reminders_pause(*, subscriber: Subscriber, text: str, now: datetime | None = None) -> Reply:
    """PAUSE [days]: no reminders until RESUME, or until local midnight that many days on."""
    now = now or timezone.now()
    if not subscriber.has_reminders:
        return _no_reminders()
    days = pause_days(text)
    subscriber.paused_at = now
    subscriber.paused_until = None
    reply = Reply(Topic.REMINDERS_PAUSED)
    if days:
        zone = subscriber_zone(subscriber)
        resume_day = now.astimezone(zone).date() + timedelta(days=days)
        subscriber.paused_until = datetime.combine(resume_day, time(0, 0), tzinfo=zone)
        reply = Reply(Topic.REMINDERS_PAUSED_UNTIL, {"date": resume_day.strftime("%d/%m/%Y")})
    subscriber_reschedule(subscriber, now=now, save=False)
    subscriber.save(update_fields=["paused_at", "paused_until", *SCHEDULE_FIELDS, "updated_at"])
    logger.info("subscriber %s paused reminders until %s", masked(subscriber.phone_number), subscriber.paused_until)
    return reply


def reminders_resume(*, subscriber: Subscriber, now: datetime | None = None) -> Reply:
    """RESUME (or START while paused): reminders again from the next chosen time."""
    if not subscriber.has_reminders:
        return _no_reminders()
    subscriber.paused_at = None
    subscriber.paused_until = None
    subscriber_reschedule(subscriber, now=now, save=False)
    subscriber.save(update_fields=["paused_at", "paused_until", *SCHEDULE_FIELDS, "updated_at"])
    return _reminders_on(subscriber)


def reminders_stop(*, subscriber: Subscriber) -> None:
    """No more reminders (an admin clearing the times); other messages are unaffected."""
    subscriber.reminder_times = []
    subscriber.paused_at = None
    subscriber.paused_until = None
    subscriber_reschedule(subscriber, save=False)
