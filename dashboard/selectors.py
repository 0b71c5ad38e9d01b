"""What the dashboard shows: each chart's data over a period, read from the daily counts, and the
messages that were not understood (personal data: only for those allowed to see it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from advice.text import normalize_text
from dashboard.models import DailyCount
from dashboard.services import OUTCOMES, local_zone
from messaging.models import Message

Metric = DailyCount.Metric
# The note advice.conversation.decide gives a text it did not understand (it gets the menu);
# dashboard/migrations/0003 indexes exactly these.
NOT_UNDERSTOOD_NOTE = "not understood: menu"
# The newest not-understood messages read for one page: the groups are folded in Python
# (the same folding as the keyword index), so the read is bounded.
NOT_UNDERSTOOD_SCAN = 5000


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _series(period: Period, metric: str, *, by: tuple[str, ...]) -> dict[str, Any]:
    """{"days": [...], "series": {label: [value per day]}} for one metric, summed over what `by` leaves out."""
    days = period.days
    index = {day: n for n, day in enumerate(days)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    rows = (
        DailyCount.objects.filter(metric=metric, day__gte=period.first, day__lte=period.last)
        .values("day", *by)
        .annotate(total=Sum("value"))
        .order_by()
    )
    for row in rows:
        label = " · ".join(str(row[name]) or "-" for name in by) if by else metric
        series[label][index[row["day"]]] = int(row["total"])
    return {"days": [day.isoformat() for day in days], "series": dict(sorted(series.items()))}


def chart_messages(period: Period) -> dict[str, Any]:
    """Messages in and out per day, by direction, channel and language."""
    return _series(period, Metric.MESSAGES, by=("key", "channel", "language"))


def chart_replies(period: Period) -> dict[str, Any]:
    """Replies per day by topic and language: what people ask about."""
    return _series(period, Metric.REPLIES, by=("key", "language"))


def chart_outcomes(period: Period) -> dict[str, Any]:
    """Outbound messages per day by outcome (delivered, failed, undeliverable, opted out), with error codes."""
    data = _series(period, Metric.OUTCOMES, by=("key",))
    data["series"] = {name: data["series"][name] for name in OUTCOMES if name in data["series"]}
    codes = (
        DailyCount.objects.filter(metric=Metric.ERRORS, day__gte=period.first, day__lte=period.last)
        .values("key")
        .annotate(total=Sum("value"))
        .order_by("-total", "key")
    )
    data["errors"] = [{"code": row["key"], "count": int(row["total"])} for row in codes]
    return data


def chart_people(period: Period) -> dict[str, Any]:
    """New contacts and opt-outs (per channel) per day."""
    new = _series(period, Metric.NEW_CONTACTS, by=())
    out = _series(period, Metric.OPT_OUTS, by=("channel",))
    series = {"new contacts": new["series"].get(Metric.NEW_CONTACTS, [0] * len(new["days"]))}
    series.update({f"opt-outs · {channel}": values for channel, values in out["series"].items()})
    return {"days": new["days"], "series": series}


def chart_subscribers(period: Period) -> dict[str, Any]:
    """Active reminder subscribers by channel, as counted on each day."""
    return _series(period, Metric.SUBSCRIBERS, by=("channel",))


def chart_costs(period: Period) -> dict[str, Any]:
    """SMS segments and call minutes per day, and their estimated cost at the configured prices."""
    segments = _series(period, Metric.SEGMENTS, by=())["series"].get(Metric.SEGMENTS)
    seconds = _series(period, Metric.CALL_SECONDS, by=())["series"].get(Metric.CALL_SECONDS)
    days = [day.isoformat() for day in period.days]
    segments = segments or [0] * len(days)
    minutes = [round(value / 60, 1) for value in (seconds or [0] * len(days))]
    per_segment, per_minute = settings.COST_PER_SEGMENT, settings.COST_PER_CALL_MINUTE
    cost = [round(s * per_segment + m * per_minute, 2) for s, m in zip(segments, minutes, strict=True)]
    return {
        "days": days,
        "series": {"segments": segments, "call minutes": minutes},
        "cost": cost,
        "total": round(sum(cost), 2),
        "currency": settings.COST_CURRENCY,
        "per_segment": per_segment,
        "per_minute": per_minute,
    }


@dataclass(frozen=True)
class NotUnderstood:
    text: str  # the normalised form (advice.text.normalize_text): what a keyword would match
    count: int
    last_at: datetime
    example: str  # the newest message as typed
    language: str  # the language it was answered in (the menu's)


def not_understood(period: Period, *, now: datetime | None = None, limit: int = 100) -> list[NotUnderstood]:
    """Inbound texts that got the menu, grouped by their folded form, newest group first.

    Message texts are personal data: callers check `messaging.view_personal_data`. Texts
    blanked by retention (older than MESSAGE_RETENTION_DAYS) are no longer here.
    """
    now = now or timezone.now()
    zone = local_zone()
    start = datetime.combine(period.first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(period.last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    start = max(start, now - timedelta(days=settings.MESSAGE_RETENTION_DAYS))
    rows = (
        Message.objects.filter(
            direction=Message.Direction.INBOUND,
            created_at__gte=start,
            created_at__lt=end,
            note=NOT_UNDERSTOOD_NOTE,  # exactly: a note with more did not end with the menu
        )
        .exclude(body="")
        .order_by("-created_at", "-id")
        .values_list("body", "created_at", "language")[:NOT_UNDERSTOOD_SCAN]
    )
    groups: dict[str, NotUnderstood] = {}
    for body, created_at, language in rows:
        folded = normalize_text(body)
        if not folded:
            continue
        found = groups.get(folded)
        if found is None:
            groups[folded] = NotUnderstood(folded, 1, created_at, body[:160], language)
        else:
            groups[folded] = NotUnderstood(folded, found.count + 1, found.last_at, found.example, found.language)
    return sorted(groups.values(), key=lambda group: group.last_at, reverse=True)[:limit]
