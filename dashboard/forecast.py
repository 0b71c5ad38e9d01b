"""The reminder load forecast: reminders due per minute over the next hours, beside the capacity.

Due times come from the reminder plans (`next_reminder_at`, then each plan's times in its
zone, through reminders.schedule, which knows daylight saving). Plans that share their
times, zone and next occurrence are one group, computed once: a million plans on default
times make a few hundred groups. Contacts without a zone of their own are grouped by the
first digits of their number, which fix the country and so the zone the scheduler uses.

Capacity follows the scheduler's rule: a reminder more than the grace period late is
recorded as missed. A minute is over capacity when more are due in it than the rate can
send within the grace period (SMS: SMS_RATE_LIMIT_PER_SECOND x REMINDER_GRACE_MINUTES;
calls: VOICE_CALLS_PER_SECOND x VOICE_GRACE_MINUTES, once calls exist). The number recorded
as missed comes from sending the queue in due order at the rate, minute by minute, so a
wave's backlog spilling into the next minutes counts too.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.db.models.functions import Substr
from django.utils import timezone

from contacts.time_zones import time_zone_for_number, zone
from dashboard.services import plan_channel_field
from reminders.models import ReminderPlan
from reminders.schedule import occurrences_between

NUMBER_PREFIX = 6  # "+" and five digits: enough to fix the country (and +1's area code)


@dataclass(frozen=True)
class Capacity:
    per_second: float  # 0: no limit
    grace_minutes: float

    @property
    def per_wave(self) -> int | None:
        """How many due in one minute can still go out within the grace period; None: no limit."""
        if self.per_second <= 0:
            return None
        return int(self.per_second * self.grace_minutes * 60)


@dataclass
class ChannelForecast:
    channel: str
    capacity: Capacity
    due: Counter[datetime] = field(default_factory=Counter)  # minute (UTC) -> reminders due
    missed: int = 0

    @property
    def total(self) -> int:
        return sum(self.due.values())

    def minutes_over(self) -> list[datetime]:
        limit = self.capacity.per_wave
        return [] if limit is None else sorted(m for m, n in self.due.items() if n > limit)


def capacity_for(channel: str) -> Capacity:
    if channel == "voice":
        return Capacity(
            float(getattr(settings, "VOICE_CALLS_PER_SECOND", 1.0)),
            float(getattr(settings, "VOICE_GRACE_MINUTES", 60.0)),
        )
    return Capacity(float(settings.SMS_RATE_LIMIT_PER_SECOND), float(settings.REMINDER_GRACE_MINUTES))


def reminder_forecast(*, now: datetime | None = None, hours: int = 24) -> dict[str, ChannelForecast]:
    """Reminders due per minute in (now, now + hours], per channel, with the missed count."""
    now = now or timezone.now()
    until = now + timedelta(hours=hours)
    channel_field = plan_channel_field()
    group_by = ["reminder_times", "contact__time_zone", "next_reminder_at", "prefix"]
    if channel_field:
        group_by.append(channel_field)
    query = (
        ReminderPlan.objects.filter(next_reminder_at__isnull=False, next_reminder_at__lte=until)
        .annotate(prefix=Substr("contact__phone_number", 1, NUMBER_PREFIX))
        .values(*group_by)
        .annotate(n=Count("pk"), number=Min("contact__phone_number"))
        .order_by()
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Grouping every active plan: in memory rather than a sort spilled to disk (halves it).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        groups = list(query)
    forecasts: dict[str, ChannelForecast] = {}
    for group in groups:
        channel = str(group.get(channel_field, "sms")) if channel_field else "sms"
        forecast = forecasts.get(channel)
        if forecast is None:
            forecast = forecasts[channel] = ChannelForecast(channel, capacity_for(channel))
        count = int(group["n"])
        first: datetime = group["next_reminder_at"]
        times = sorted({time.fromisoformat(value) for value in group["reminder_times"] or []})
        where = zone(group["contact__time_zone"] or time_zone_for_number(group["number"]))
        due = [first] if first > now else []
        due += [o.at for o in occurrences_between(times, where, after=max(first, now), until=until)]
        for at in due:
            forecast.due[at.replace(second=0, microsecond=0)] += count
    for forecast in forecasts.values():
        forecast.missed = missed_when_sent(forecast.due, forecast.capacity)
    return forecasts


def missed_when_sent(due: Counter[datetime], capacity: Capacity) -> int:
    """Send what is due in due order at the rate, a minute at a time; count what waits past the grace."""
    if capacity.per_second <= 0 or not due:
        return 0
    per_minute = int(capacity.per_second * 60)
    grace = timedelta(minutes=capacity.grace_minutes)
    waves = sorted(due.items())
    waiting: deque[tuple[datetime, int]] = deque()  # (due minute, how many still wait), oldest first
    missed = 0
    minute, position = waves[0][0], 0
    while position < len(waves) or waiting:
        if position < len(waves) and waves[position][0] == minute:
            waiting.append(waves[position])
            position += 1
        budget = per_minute  # a minute's sends; an idle minute does not bank capacity
        while waiting:
            at, left = waiting[0]
            if minute + timedelta(minutes=1) - at > grace:  # would go out after its grace: missed, costs no send
                missed += left
                waiting.popleft()
                continue
            sent = min(left, budget)
            budget -= sent
            if sent < left:
                waiting[0] = (at, left - sent)
                break
            waiting.popleft()
        if not waiting and position < len(waves):
            minute = waves[position][0]  # skip the idle minutes
        else:
            minute += timedelta(minutes=1)
    return missed
