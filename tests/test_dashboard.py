"""The dashboard: each chart's numbers from a known database, the forecast across a clock change,
idempotent counting, and who may see what."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from advice.models import Topic
from contacts.models import Contact
from dashboard import forecast, selectors, services
from dashboard.models import DailyCount
from messaging.models import Message
from reminders import services as reminder_services
from tests.support.people import make_contact, plan
from voice.models import CallStep

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
DAY = date(2026, 6, 9)  # the day before the fixed clock's
NOON = datetime(2026, 6, 9, 12, 0, tzinfo=BRUSSELS)


def message(at: datetime = NOON, **fields: Any) -> Message:
    row = Message.objects.create(**{"state": Message.State.HANDLED, **fields})
    Message.objects.filter(pk=row.pk).update(created_at=at)
    return row


def outbound(**fields: Any) -> Message:
    return message(**{"direction": "out", "state": Message.State.SUBMITTED, "purpose": "reply", **fields})


def contact_on(day_at: datetime, number: str, **fields: Any) -> Contact:
    contact = make_contact(phone_number=number, **fields)
    Contact.objects.filter(pk=contact.pk).update(created_at=day_at)
    return contact


@pytest.fixture
def known_day() -> None:
    """One day's traffic, each row chosen for one chart."""
    cramp, causes = Topic.objects.get(slug="cramp"), Topic.objects.get(slug="causes")
    for _ in range(3):
        message(direction="in", language="nl")
    message(direction="in", language="fr")
    message(direction="in", channel="voice", language="de")
    message(direction="in", language="nl", state=Message.State.REJECTED)  # malformed: not counted
    message(NOON - timedelta(days=1), direction="in", language="nl")  # the day before
    outbound(language="nl", topic=cramp, segments=2, provider_sid="SM" + "1" * 32, provider_status="delivered")
    outbound(language="nl", topic=cramp, segments=2, provider_sid="SM" + "2" * 32, provider_status="delivered")
    outbound(
        language="fr",
        topic=causes,
        segments=3,
        provider_sid="SM" + "3" * 32,
        provider_status="undelivered",
        error_code=30006,
    )
    outbound(
        language="fr",
        topic=causes,
        segments=1,
        provider_sid="SM" + "4" * 32,
        provider_status="failed",
        error_code=21610,
    )
    outbound(language="nl", purpose="reminder", state=Message.State.FAILED, error_code=30007, segments=1)
    outbound(language="nl", purpose="reminder", state=Message.State.MISSED, segments=1)  # never sent
    contact_on(NOON, "+32470000001", sms_opted_out=True, sms_opted_out_at=NOON)
    contact_on(NOON, "+32470000002")
    contact_on(NOON - timedelta(days=3), "+32470000003")


def period() -> selectors.Period:
    return selectors.Period(DAY - timedelta(days=1), DAY)


def test_it_counts_messages_by_direction_channel_and_language(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)

    chart = selectors.chart_messages(period())

    assert chart["days"] == ["2026-06-08", "2026-06-09"]
    assert chart["series"] == {
        "in · sms · fr": [0, 1],
        "in · sms · nl": [0, 3],
        "in · voice · de": [0, 1],
        "out · sms · fr": [0, 2],
        "out · sms · nl": [0, 4],
    }


def test_it_counts_replies_by_topic_and_language(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)

    assert selectors.chart_replies(period())["series"] == {"causes · fr": [0, 2], "cramp · nl": [0, 2]}


def test_it_counts_delivery_outcomes_with_twilios_error_codes(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)

    chart = selectors.chart_outcomes(period())

    assert chart["series"] == {
        "opted-out": [0, 1],
        "undeliverable": [0, 1],
        "delivered": [0, 2],
        "failed": [0, 1],
    }
    assert chart["errors"] == [
        {"code": "21610", "count": 1},
        {"code": "30006", "count": 1},
        {"code": "30007", "count": 1},
    ]


def test_it_counts_new_contacts_and_opt_outs(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)

    assert selectors.chart_people(period())["series"] == {"new contacts": [0, 2], "opt-outs · sms": [0, 1]}


def test_it_counts_segments_handed_to_twilio_and_prices_them(known_day: None, settings: Any) -> None:
    settings.COST_PER_SEGMENT = 0.05
    settings.COST_CURRENCY = "EUR"
    services.daily_counts_compute(day=DAY)

    chart = selectors.chart_costs(period())

    assert chart["series"]["segments"] == [0, 8]  # 2 + 2 + 3 + 1; the failed and missed reminders never left
    assert chart["cost"] == [0, 0.4]
    assert (chart["total"], chart["currency"]) == (0.4, "EUR")


def test_it_counts_call_minutes_from_twilios_final_status_and_prices_them(known_day: None, settings: Any) -> None:
    settings.COST_PER_SEGMENT = 0
    settings.COST_PER_CALL_MINUTE = 0.10
    call = Message.objects.get(channel="voice")
    CallStep.objects.create(call=call, sequence=1, where=CallStep.Where.START)
    CallStep.objects.create(call=call, sequence=2, where=CallStep.Where.STATUS, heard="completed", duration_seconds=150)
    services.daily_counts_compute(day=DAY)

    chart = selectors.chart_costs(period())

    assert chart["series"]["call minutes"] == [0, 2.5]
    assert chart["cost"][1] == pytest.approx(0.25)


def test_it_takes_todays_subscribers_and_keeps_yesterdays_snapshot() -> None:
    today = DAY + timedelta(days=1)
    for n in range(3):
        person = make_contact(phone_number=f"+3247000010{n}", reminder_times=["09:00"], time_zone="Europe/Brussels")
        reminder_services.plan_reschedule(plan(person))
    make_contact(phone_number="+32470000200", reminder_times=["09:00"], paused_at=NOON)  # paused: nothing due
    DailyCount.objects.create(day=DAY, metric="subscribers", channel="sms", value=7)

    services.daily_counts_refresh()

    chart = selectors.chart_subscribers(selectors.Period(DAY, today))
    assert chart["series"] == {"sms": [7, 3]}


def test_counting_a_day_twice_changes_nothing(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)
    first = sorted(DailyCount.objects.values_list("metric", "channel", "language", "key", "value"))

    services.daily_counts_compute(day=DAY)

    assert sorted(DailyCount.objects.values_list("metric", "channel", "language", "key", "value")) == first


def test_the_counts_survive_retention_and_erasure(known_day: None, settings: Any) -> None:
    from privacy import services as privacy

    services.daily_counts_compute(day=DAY)
    before = selectors.chart_messages(period())
    privacy.retention_apply(now=NOON + timedelta(days=settings.MESSAGE_RETENTION_DAYS + 1))
    privacy.contact_erase(contact=Contact.objects.get(phone_number="+32470000001"))

    services.daily_counts_backfill(first=DAY, last=DAY)  # a counted day is kept
    assert selectors.chart_messages(period()) == before
    assert selectors.chart_people(period())["series"]["new contacts"] == [0, 2]
    assert not DailyCount.objects.filter(key__contains="+").exists()


def test_a_backfill_counts_missing_days_and_recounts_only_when_forced(known_day: None) -> None:
    done = services.daily_counts_backfill(first=DAY - timedelta(days=2), last=DAY)
    assert [d.day for d in done] == [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]

    assert services.daily_counts_backfill(first=DAY - timedelta(days=2), last=DAY) == []
    assert len(services.daily_counts_backfill(first=DAY, last=DAY, force=True)) == 1


# --- The reminder load forecast ----------------------------------------------------------------


def subscribers(count: int, times: list[str], *, now: datetime, first: int = 0) -> None:
    for n in range(first, first + count):
        person = make_contact(phone_number=f"+324710{n:05d}", reminder_times=times, time_zone="Europe/Brussels")
        reminder_services.plan_reschedule(plan(person), now=now)


def test_the_forecast_follows_the_spring_clock_change(settings: Any) -> None:
    # Clocks go forward in Brussels at 02:00 on Sunday 29 March 2026: 02:30 does not exist
    # that night and goes out at 03:00 (CEST, 01:00 UTC).
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    settings.SMS_RATE_LIMIT_PER_SECOND = 1
    settings.REMINDER_GRACE_MINUTES = 1
    now = datetime(2026, 3, 28, 20, 0, tzinfo=BRUSSELS)
    subscribers(100, ["02:30", "09:00"], now=now)
    subscribers(10, ["20:30"], now=now, first=100)

    found = forecast.reminder_forecast(now=now)["sms"]

    utc = ZoneInfo("UTC")
    assert dict(found.due) == {
        datetime(2026, 3, 28, 19, 30, tzinfo=utc): 10,  # 20:30 CET
        datetime(2026, 3, 29, 1, 0, tzinfo=utc): 100,  # 02:30 skipped: 03:00 CEST
        datetime(2026, 3, 29, 7, 0, tzinfo=utc): 100,  # 09:00 CEST
    }
    assert found.capacity.per_wave == 60  # 1 a second for the minute of grace
    assert found.minutes_over() == [datetime(2026, 3, 29, 1, 0, tzinfo=utc), datetime(2026, 3, 29, 7, 0, tzinfo=utc)]
    assert found.missed == 80  # 40 of each wave would be more than a minute late


def test_the_forecast_counts_a_waves_backlog_spilling_into_the_next_minutes() -> None:
    capacity = forecast.Capacity(per_second=1, grace_minutes=2)
    minute = datetime(2026, 6, 10, 9, 0, tzinfo=ZoneInfo("UTC"))
    due = Counter({minute: 100, minute + timedelta(minutes=1): 50})

    # 120 can go in the first two minutes: 100 of the first wave and 20 of the second;
    # the third minute sends 30 more of the second (still within its grace).
    assert forecast.missed_when_sent(due, capacity) == 0
    assert forecast.missed_when_sent(Counter({minute: 200}), capacity) == 80
    assert forecast.missed_when_sent(due, forecast.Capacity(per_second=0, grace_minutes=15)) == 0


# --- The page ----------------------------------------------------------------------------------


def member(name: str, *groups: str, superuser: bool = False) -> Client:
    if superuser:
        user = User.objects.create_superuser(name, f"{name}@example.org", "pw")
    else:
        user = User.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    client = Client()
    client.force_login(user)
    return client


URL = "/admin/dashboard/dailycount/"


def test_the_page_renders_for_an_operator_with_its_charts_and_no_inline_script(known_day: None) -> None:
    services.daily_counts_compute(day=DAY)

    response = member("olga", "operators").get(URL, {"from": "2026-06-08", "to": "2026-06-09"})

    assert response.status_code == 200
    page = response.content.decode()
    charts = json.loads(re.search(r'id="dashboard-charts" type="application/json">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    assert charts["replies"]["series"]["cramp · nl"] == [0, 2]
    assert "/static/dashboard/vendor/chart.umd.min.js" in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    inline = [s for s in re.findall(r"<script([^>]*)>", page) if "src=" not in s and "application/json" not in s]
    assert inline == []


def test_the_admin_index_links_to_the_dashboard() -> None:
    assert URL in member("olga", "operators").get("/admin/").content.decode()


def test_the_page_is_refused_without_permission() -> None:
    assert member("nobody").get(URL).status_code == 403
    assert member("clara", "clinicians").get(URL).status_code == 403
    assert Client().get(URL).status_code == 302  # to the sign-in page


@pytest.mark.parametrize(
    ("language", "words"), [("nl", "Niet begrepen"), ("fr", "Non compris"), ("de", "Nicht verstanden")]
)
def test_the_page_speaks_belgiums_languages(language: str, words: str) -> None:
    page = member("olga", "operators").get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert words in page


def test_texts_not_understood_are_grouped_by_their_folded_form_newest_first(text: Any) -> None:
    text("Blabla xyz!!", sender="+32470000301")
    text("blabla  XYZ", sender="+32470000302")
    text("qwerty", sender="+32470000303")
    text("KRAMP", sender="+32470000304")  # understood: not listed

    groups = selectors.not_understood(selectors.Period(DAY, DAY + timedelta(days=1)))

    assert [(g.text, g.count) for g in groups] == [("qwerty", 1), ("blabla xyz", 2)]
    assert groups[1].example == "blabla  XYZ"


def test_only_those_who_may_see_message_texts_see_them(text: Any) -> None:
    text("qwerty", sender="+32470000303")

    operator = member("olga", "operators").get(URL).content.decode()
    editor = member("erin", "editors").get(URL).content.decode()
    admin = member("ada", superuser=True).get(URL).content.decode()

    assert "qwerty" in operator and "/admin/advice/keyword/add/" not in operator  # operators add no keywords
    assert "qwerty" not in editor
    assert "/admin/advice/keyword/add/?word=QWERTY" in admin


def test_a_keyword_added_from_the_list_awaits_approval(text: Any) -> None:
    text("qwerty", sender="+32470000303")
    editor = User.objects.create_superuser("erin", "erin@example.org", "pw")
    client = Client()
    client.force_login(editor)
    cramp = Topic.objects.get(slug="cramp")

    response = client.post(
        "/admin/advice/keyword/add/", {"word": "QWERTY", "language": "en", "action": "topic", "topic": cramp.pk}
    )

    assert response.status_code == 302
    from advice.models import Keyword

    assert Keyword.objects.get(word="QWERTY").pending_review


def test_chart_js_and_its_licence_are_served_from_our_static_files() -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("dashboard/vendor/chart.umd.min.js")
    assert finders.find("dashboard/vendor/chart.js-LICENSE.md")


def test_beat_recounts_today_and_yesterday_through_the_task(known_day: None, settings: Any) -> None:
    from dashboard import tasks

    assert settings.CELERY_BEAT_SCHEDULE["dashboard-aggregate"]["task"] == tasks.aggregate.name
    tasks.aggregate.apply()

    assert selectors.chart_messages(period())["series"]["in · sms · nl"] == [0, 3]
    assert DailyCount.objects.filter(day=DAY + timedelta(days=1), metric="counted").exists()


def test_the_backfill_command_counts_a_period() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("dashboard_backfill", "--from", "2026-06-01", "--to", "2026-06-09", stdout=out)

    assert "9 day(s) counted" in out.getvalue()
    assert DailyCount.objects.filter(metric="counted").count() == 9
