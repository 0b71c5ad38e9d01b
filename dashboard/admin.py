"""The dashboard in the admin: charts over a chosen period, what was not understood, the
reminder load forecast and the cost estimate.

It takes the place of the daily counts' list (the admin index links to it as "Dashboard");
seeing it needs `dashboard.view_dailycount` (operators and editors have it); the list of
messages not understood needs `messaging.view_personal_data` as well.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from advice.models import Language
from dashboard import forecast, selectors
from dashboard.models import DailyCount
from dashboard.services import local_today

PERIODS = (7, 30, 90)
MAX_PERIOD_DAYS = 366


def period_from(request: HttpRequest) -> tuple[selectors.Period, int | None]:
    """The period asked for: ?days=7|30|90 up to today, or ?from=&to= (YYYY-MM-DD); 30 days by default."""
    today = local_today()
    try:
        first = date.fromisoformat(request.GET.get("from", ""))
        last = date.fromisoformat(request.GET.get("to", "") or today.isoformat())
    except ValueError:
        days = int(request.GET["days"]) if request.GET.get("days", "").isdigit() else 30
        days = days if days in PERIODS else 30
        return selectors.Period(today - timedelta(days=days - 1), today), days
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_PERIOD_DAYS - 1))
    return selectors.Period(first, last), None


def forecast_context(now: Any = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    start = now.replace(second=0, microsecond=0)
    minutes = [start + timedelta(minutes=n + 1) for n in range(24 * 60)]
    result = []
    for channel, found in sorted(forecast.reminder_forecast(now=now).items()):
        per_wave = found.capacity.per_wave
        over = found.minutes_over()
        result.append(
            {
                "channel": channel,
                "total": found.total,
                "missed": found.missed,
                "capacity": per_wave,
                "per_second": found.capacity.per_second,
                "grace_minutes": found.capacity.grace_minutes,
                "over": [
                    {"at": timezone.localtime(m, zone).strftime("%Y-%m-%d %H:%M"), "due": found.due[m]} for m in over
                ],
                "chart": {
                    "labels": [m.astimezone(zone).strftime("%H:%M") for m in minutes],
                    "due": [found.due.get(m, 0) for m in minutes],
                    "capacity": per_wave,
                },
            }
        )
    return result


def keyword_add_url(group: selectors.NotUnderstood) -> str:
    """The keyword form, filled in with the folded text (and its language): saving it waits for approval."""
    initial = {"word": group.text.upper()[:40], "action": "topic"}
    if group.language and Language.objects.filter(pk=group.language).exists():
        initial["language"] = group.language
    return reverse("admin:advice_keyword_add") + "?" + urlencode(initial)


def _renamed(series: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(name, name): values for name, values in series.items()}


def charts_context(period: selectors.Period) -> dict[str, dict[str, Any]]:
    """Each chart's data, its series named in the admin's language."""
    charts = {
        "messages": selectors.chart_messages(period),
        "replies": selectors.chart_replies(period),
        "outcomes": selectors.chart_outcomes(period),
        "people": selectors.chart_people(period),
        "subscribers": selectors.chart_subscribers(period),
        "costs": selectors.chart_costs(period),
    }
    outcomes = {
        "delivered": _("delivered"),
        "failed": _("failed"),
        "undeliverable": _("undeliverable"),
        "opted-out": _("opted out"),
    }
    charts["outcomes"]["series"] = _renamed(charts["outcomes"]["series"], outcomes)
    people = {
        "new contacts": _("new contacts"),
        "opt-outs · sms": _("opt-outs (SMS)"),
        "opt-outs · voice": _("opt-outs (calls)"),
    }
    charts["people"]["series"] = _renamed(charts["people"]["series"], people)
    costs = {"segments": _("SMS segments"), "call minutes": _("call minutes")}
    charts["costs"]["series"] = _renamed(charts["costs"]["series"], costs)
    return charts


@admin.register(DailyCount)
class DashboardAdmin(admin.ModelAdmin[DailyCount]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DailyCount | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DailyCount | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        period, days = period_from(request)
        user: Any = request.user
        personal = user.has_perm("messaging.view_personal_data")
        groups = selectors.not_understood(period) if personal else []
        not_understood = [
            {"group": group, "add_url": keyword_add_url(group) if user.has_perm("advice.add_keyword") else ""}
            for group in groups
        ]
        charts = charts_context(period)
        forecasts = forecast_context()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dashboard"),
            "opts": self.model._meta,
            "period": period,
            "days": days,
            "periods": PERIODS,
            "charts": charts,
            "cost": charts["costs"],
            "forecasts": forecasts,
            "forecast_charts": {f["channel"]: f["chart"] for f in forecasts},
            "labels": {"due": _("due"), "capacity": _("capacity (rate × grace)"), "cost": _("estimated cost")},
            "can_see_personal": personal,
            "not_understood": not_understood,
            "retention_days": settings.MESSAGE_RETENTION_DAYS,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/dashboard/dashboard.html", context)
