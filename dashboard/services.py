"""Keeping the dashboard's daily counts: a day's rows rewritten from the message log, idempotently.

The beat task (`dashboard.tasks.aggregate`) recomputes today and yesterday every
DASHBOARD_AGGREGATE_SECONDS; `manage.py dashboard_backfill` fills a period once. Days are
local days in TIME_ZONE (the admin's time zone).

What the counts are read from, and why they stay true after retention and erasure: message
rows are never deleted, only blanked and unlinked (privacy.services), and direction,
channel, state, topic, language, segments, error code and day stay on them. Two counts
follow people rather than messages and can only be taken while the people exist: new
contacts and opt-outs (from the contacts), and active reminder subscribers (a snapshot,
taken for today only). So a backfill never rewrites a day it already holds unless asked
(`--force`), and yesterday's subscriber snapshot is kept as it was taken.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from contacts.models import Contact
from dashboard.models import DailyCount
from messaging.models import Message
from messaging.twilio_errors import BAD_NUMBER_CODES, OPTED_OUT_CODES
from reminders.models import ReminderPlan
from voice.models import CallStep

logger = logging.getLogger(__name__)

Metric = DailyCount.Metric
# Outcomes of outbound messages, in the order a message is counted in the first that fits.
OUTCOMES = ("opted-out", "undeliverable", "delivered", "failed")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a local day starts and ends (23 or 25 hours long on a clock change)."""
    zone = local_zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def local_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(local_zone()).date()


def plan_channel_field() -> str | None:
    """`ReminderPlan.channel` arrives with reminder calls; until then every plan is SMS."""
    names = {field.name for field in ReminderPlan._meta.get_fields()}
    return "channel" if "channel" in names else None


def _rows(day: date, metric: str, grouped: Iterable[Mapping[str, Any]], **fixed: str) -> list[DailyCount]:
    rows = []
    for group in grouped:
        value = int(group.get("n") or 0)
        if not value:
            continue
        fields = {name: str(group.get(name) or fixed.get(name, "")) for name in ("channel", "language", "key")}
        rows.append(DailyCount(day=day, metric=metric, value=value, **fields))
    return rows


def _message_counts(day: date, messages: QuerySet[Message]) -> list[DailyCount]:
    rows = _rows(
        day,
        Metric.MESSAGES,
        messages.exclude(state=Message.State.REJECTED)
        .values("channel", "language", key=F("direction"))
        .annotate(n=Count("id"))
        .order_by(),
    )
    replies = messages.filter(direction=Message.Direction.OUTBOUND, purpose=Message.Purpose.REPLY, topic__isnull=False)
    rows += _rows(
        day,
        Metric.REPLIES,
        replies.values("channel", "language", key=F("topic__slug")).annotate(n=Count("id")).order_by(),
    )
    outbound = messages.filter(direction=Message.Direction.OUTBOUND)
    opted_out = Q(error_code__in=OPTED_OUT_CODES)
    undeliverable = Q(error_code__in=BAD_NUMBER_CODES) & ~opted_out
    delivered = Q(provider_status__in=["delivered", "read"]) & ~opted_out & ~undeliverable
    failed = (
        (Q(state__in=[Message.State.FAILED, Message.State.GAVE_UP]) | Q(provider_status__in=["failed", "undelivered"]))
        & ~opted_out
        & ~undeliverable
        & ~Q(provider_status__in=["delivered", "read"])
    )
    outcome_counts = outbound.values("channel").annotate(
        opted_out=Count("id", filter=opted_out),
        undeliverable=Count("id", filter=undeliverable),
        delivered=Count("id", filter=delivered),
        failed=Count("id", filter=failed),
    )
    for group in outcome_counts.order_by():
        counts: dict[str, Any] = dict(group)
        for outcome in OUTCOMES:
            value = counts[outcome.replace("-", "_")]
            if value:
                rows.append(
                    DailyCount(day=day, metric=Metric.OUTCOMES, channel=counts["channel"], key=outcome, value=value)
                )
    rows += _rows(
        day,
        Metric.ERRORS,
        outbound.filter(error_code__isnull=False)
        .values("channel", key=F("error_code"))
        .annotate(n=Count("id"))
        .order_by(),
    )
    handed_over = outbound.filter(Q(state=Message.State.SUBMITTED) | Q(provider_sid__isnull=False))
    rows += _rows(
        day,
        Metric.SEGMENTS,
        handed_over.filter(channel=Message.Channel.SMS).values("channel").annotate(n=Sum("segments")).order_by(),
    )
    calls = messages.filter(channel=Message.Channel.VOICE)
    rows += _rows(day, Metric.CALLS, calls.values("channel").annotate(n=Count("id")).order_by())
    # A call's length arrives with Twilio's final status callback, on the call's status step.
    seconds = CallStep.objects.filter(call__in=calls).aggregate(n=Sum("duration_seconds"))
    rows += _rows(day, Metric.CALL_SECONDS, [seconds], channel=Message.Channel.VOICE)
    return rows


def _contact_counts(day: date, start: datetime, end: datetime) -> list[DailyCount]:
    rows = []
    new = Contact.objects.filter(created_at__gte=start, created_at__lt=end).count()
    if new:
        rows.append(DailyCount(day=day, metric=Metric.NEW_CONTACTS, value=new))
    for channel, field in (("sms", "sms_opted_out_at"), ("voice", "calls_opted_out_at")):
        opted = Contact.objects.filter(**{f"{field}__gte": start, f"{field}__lt": end}).count()
        if opted:
            rows.append(DailyCount(day=day, metric=Metric.OPT_OUTS, channel=channel, value=opted))
    return rows


def active_subscribers() -> dict[str, int]:
    """People whose reminders will go out (a next occurrence is set), by reminder channel."""
    plans = ReminderPlan.objects.filter(next_reminder_at__isnull=False)
    channel = plan_channel_field()
    if channel is None:
        return {"sms": plans.count()}
    # Not typed through: the field exists only once reminder calls have landed.
    rows = cast(Any, plans).values(channel).annotate(n=Count("pk")).order_by()
    return {str(row[channel]): int(row["n"]) for row in rows}


@dataclass(frozen=True)
class Computed:
    day: date
    rows: int


def daily_counts_compute(*, day: date, now: datetime | None = None) -> Computed:
    """Rewrite one day's counts from the message log and the contacts: running it twice changes nothing.

    The subscriber snapshot is taken only for today (it describes the present); an earlier
    day keeps the snapshot taken on it.
    """
    now = now or timezone.now()
    start, end = day_bounds(day)
    messages = Message.objects.filter(created_at__gte=start, created_at__lt=end)
    rows = _message_counts(day, messages) + _contact_counts(day, start, end)
    rows.append(DailyCount(day=day, metric=Metric.COUNTED, value=1))  # a quiet day is counted too
    is_today = day == local_today(now)
    if is_today:
        rows += [
            DailyCount(day=day, metric=Metric.SUBSCRIBERS, channel=channel, value=value)
            for channel, value in active_subscribers().items()
            if value
        ]
    with transaction.atomic():
        existing = DailyCount.objects.filter(day=day)
        if not is_today:
            existing = existing.exclude(metric=Metric.SUBSCRIBERS)
        existing.delete()
        DailyCount.objects.bulk_create(rows, batch_size=1000)
    return Computed(day, len(rows))


def daily_counts_refresh(*, now: datetime | None = None) -> list[Computed]:
    """The beat task's work: today and yesterday (messages of yesterday still change status)."""
    today = local_today(now)
    return [daily_counts_compute(day=today - timedelta(days=1), now=now), daily_counts_compute(day=today, now=now)]


def daily_counts_backfill(
    *, first: date, last: date, force: bool = False, now: datetime | None = None
) -> list[Computed]:
    """Compute each day of a period; a day already counted is kept unless `force`.

    Kept by default because erasures since then took contacts (and so new-contact and
    opt-out counts) with them: recounting would lower those numbers.
    """
    held = set(DailyCount.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True).distinct())
    done = []
    day = first
    while day <= last:
        if force or day not in held:
            done.append(daily_counts_compute(day=day, now=now))
        day += timedelta(days=1)
    logger.info("dashboard: %s day(s) counted from %s to %s", len(done), first, last)
    return done
