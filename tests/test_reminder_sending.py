"""Scheduled reminders: planned once per occurrence, sent in the contact's language through
the real `twilio` client to the local stand-in, never late, never to who must not get them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from messaging import bulk
from messaging.models import Message
from reminders import services
from reminders.models import ReminderPlan
from reminders.schedule import SLOT_FORMAT
from reminders.scheduler import reminders_plan_due
from tests.support.fake_twilio import FakeTwilio, Scripted
from tests.support.people import make_contact, plan

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    # These tests run at any hour; the quiet-hours tests set their own window.
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


def due_contact(
    number: str = "+32470123456", *, language: str = "nl", late: timedelta = timedelta(minutes=1), **fields: Any
) -> Contact:
    """A contact whose next reminder was due `late` ago."""
    fields.setdefault("reminder_times", ["09:00", "13:00", "17:00"])
    contact = make_contact(phone_number=number, language_id=language, time_zone="Europe/Brussels", **fields)
    due_at = timezone.now() - late
    ReminderPlan.objects.filter(pk=contact.pk).update(
        next_reminder_at=due_at, next_reminder_slot=due_at.astimezone(BRUSSELS).strftime(SLOT_FORMAT)
    )
    return contact


def send_all() -> None:
    while bulk.bulk_send_batch().claimed:
        pass


def reminders() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.Purpose.REMINDER).order_by("id"))


def test_a_due_reminder_is_sent_once_in_the_contact_s_language(fake_twilio: FakeTwilio) -> None:
    contact = due_contact(language="nl")
    due_slot = plan(contact).next_reminder_slot

    planned = reminders_plan_due()
    send_all()

    assert planned.pending == 1
    [request] = fake_twilio.creates()
    assert request.params["To"] == "+32470123456"
    assert request.params["From"] == "+3225550100"
    assert request.params["Body"] == "Herinnering: u kunt beenkrampen voorkomen door voldoende te drinken."
    [message] = reminders()
    assert request.params["StatusCallback"] == f"https://cramps.example.org/twilio/sms/status/?m={message.pk}"
    assert message.state == Message.State.SUBMITTED
    assert message.provider_sid.startswith("SM")
    assert message.slot == due_slot
    assert plan(contact).next_reminder_at > timezone.now()


def test_a_tick_run_twice_and_two_senders_send_each_occurrence_once(fake_twilio: FakeTwilio) -> None:
    for index in range(5):
        due_contact(f"+3247012340{index}")

    reminders_plan_due()
    reminders_plan_due()
    send_all()
    send_all()

    assert len(fake_twilio.creates()) == 5
    assert len({r.params["To"] for r in fake_twilio.creates()}) == 5
    assert len(reminders()) == 5


def test_a_replanned_occurrence_is_not_created_twice(fake_twilio: FakeTwilio) -> None:
    contact = due_contact()
    reminders_plan_due()
    # Something (an admin's edit, a restored backup) sets the same occurrence again.
    ReminderPlan.objects.filter(pk=contact.pk).update(
        next_reminder_at=plan(contact).next_reminder_at, next_reminder_slot=plan(contact).next_reminder_slot
    )
    reminders_plan_due()
    send_all()

    assert len(fake_twilio.creates()) == 1


def test_reminder_texts_rotate_and_never_repeat_twice_in_a_row(fake_twilio: FakeTwilio) -> None:
    contact = due_contact(language="en")
    for _ in range(6):
        reminders_plan_due()
        send_all()
        contact.refresh_from_db()
        due_at = timezone.now() - timedelta(minutes=1) + timedelta(seconds=len(reminders()))
        ReminderPlan.objects.filter(pk=contact.pk).update(
            next_reminder_at=due_at, next_reminder_slot=f"2030-01-0{len(reminders())}T09:00"
        )

    bodies = [r.params["Body"] for r in fake_twilio.creates()]
    assert len(bodies) == 6
    assert all(a != b for a, b in itertools.pairwise(bodies))
    assert bodies[0].startswith("Reminder: you can prevent leg cramps by drinking enough")
    assert bodies[1] == "Reminder: to prevent leg cramps, it is advisable to drink less alcohol and caffeine."
    assert bodies[2].startswith("Reminder: in case of intense effort and very high temperatures")
    assert bodies[3].startswith("Reminder: if a cramp comes, you can relax the muscle by stretching it.")
    assert bodies[4] == bodies[0]


def test_reminder_texts_are_topics_an_admin_edits(fake_twilio: FakeTwilio) -> None:
    Topic.objects.get(slug="reminder-drink").translations.filter(language_id="en").update(
        sms_text="Drink a glass of water now."
    )
    due_contact(language="en")
    reminders_plan_due()
    send_all()

    assert fake_twilio.creates()[0].params["Body"] == "Drink a glass of water now."


def test_an_occurrence_more_than_the_grace_period_late_is_missed_not_sent(fake_twilio: FakeTwilio) -> None:
    contact = due_contact(late=timedelta(minutes=20))

    planned = reminders_plan_due()
    send_all()

    assert fake_twilio.creates() == []
    assert planned.missed == 1
    [message] = reminders()
    assert message.state == Message.State.MISSED
    assert message.note == "missed: more than 15 minutes late"
    contact.refresh_from_db()
    assert plan(contact).next_reminder_at > timezone.now()


def test_after_a_long_outage_each_missed_occurrence_is_recorded_once(fake_twilio: FakeTwilio) -> None:
    due_contact(late=timedelta(days=2))

    reminders_plan_due()
    send_all()

    assert fake_twilio.creates() == []
    missed = reminders()
    # Due two days ago at 10:29: that one, 13:00 and 17:00, three yesterday, and 09:00 today.
    assert len(missed) == 7
    assert {m.state for m in missed} == {Message.State.MISSED}
    assert len({m.slot for m in missed}) == len(missed)


def test_a_message_planned_in_time_but_sent_too_late_is_missed(fake_twilio: FakeTwilio) -> None:
    due_contact()
    reminders_plan_due()
    Message.objects.update(scheduled_for=timezone.now() - timedelta(minutes=16))  # the senders were down
    send_all()

    assert fake_twilio.creates() == []
    assert reminders()[0].state == Message.State.MISSED


def test_opted_out_paused_and_undeliverable_numbers_get_nothing(fake_twilio: FakeTwilio) -> None:
    opted_out = due_contact("+32470000001")
    paused = due_contact("+32470000002")
    undeliverable = due_contact("+32470000003")
    due_contact("+32470000004")
    reminders_plan_due()
    # They change their minds after the reminders were planned, before they are sent.
    contact_services.contact_opt_out(contact=opted_out, channel="sms", source=Contact.OptOutSource.KEYWORD)
    services.reminders_pause(contact=paused, text="PAUSE")
    contact_services.contact_mark_undeliverable(contact_id=undeliverable.pk, channel="sms", reason="21614")
    send_all()

    assert [r.params["To"] for r in fake_twilio.creates()] == ["+32470000004"]
    notes = {m.phone_number: m.note for m in reminders() if m.state == Message.State.CANCELLED}
    assert notes == {
        "+32470000001": "not sent: the number has opted out",
        "+32470000002": "not sent: reminders are paused",
        "+32470000003": "not sent: the number is undeliverable",
    }


def test_a_paused_contact_is_not_even_planned(fake_twilio: FakeTwilio) -> None:
    contact = due_contact(paused_at=timezone.now())

    reminders_plan_due()

    assert reminders() == []
    contact.refresh_from_db()
    assert plan(contact).next_reminder_at is None


def test_twilio_21610_on_a_reminder_opts_the_number_out_and_ends_its_reminders(fake_twilio: FakeTwilio) -> None:
    contact = due_contact()
    fake_twilio.then(Scripted(status=400, code=21610, message="Attempt to send to unsubscribed recipient"))

    reminders_plan_due()
    send_all()

    contact.refresh_from_db()
    assert contact.sms_opted_out
    assert contact.sms_opt_out_source == Contact.OptOutSource.CARRIER
    assert plan(contact).next_reminder_at is None
    assert reminders()[0].state == Message.State.FAILED


def test_a_twilio_outage_retries_the_reminder_within_the_grace_period(fake_twilio: FakeTwilio) -> None:
    due_contact()
    fake_twilio.then(Scripted(status=503, code=20503, message="Service unavailable"))

    reminders_plan_due()
    bulk.bulk_send_batch()
    [message] = reminders()
    assert message.state == Message.State.PENDING
    assert message.uncertain  # a 5xx may have been accepted: Twilio is asked first
    Message.objects.update(next_attempt_at=timezone.now())
    send_all()

    message.refresh_from_db()
    assert message.state == Message.State.SUBMITTED
    assert len(fake_twilio.creates()) == 2  # the failed attempt, then the retry; never a third


def test_a_time_inside_quiet_hours_set_later_is_missed(fake_twilio: FakeTwilio, settings: Any) -> None:
    contact = due_contact()
    local = plan(contact).next_reminder_at.astimezone(BRUSSELS)
    start, end = (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=1)).strftime("%H:%M")
    settings.REMINDER_QUIET_HOURS = f"{start}-{end}"

    reminders_plan_due()
    send_all()

    assert fake_twilio.creates() == []
    assert reminders()[0].note == "missed: the time is in the quiet hours"


def plan_at(moment: datetime) -> list[Message]:
    reminders_plan_due(now=moment)
    return reminders()


def test_spring_forward_through_the_scheduler(settings: Any) -> None:
    contact = make_contact(phone_number="+32470123456", language_id="nl", time_zone="Europe/Brussels")
    services.reminders_set_times(
        contact=contact, times=[datetime(2026, 1, 1, 2, 30).time()], now=datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    )
    contact.refresh_from_db()
    assert plan(contact).next_reminder_slot == "2026-03-29T02:30"
    assert plan(contact).next_reminder_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 summer time

    assert plan_at(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == []  # 02:59 would not exist; 01:59 winter time
    [message] = plan_at(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert message.slot == "2026-03-29T02:30"
    assert message.scheduled_for.astimezone(BRUSSELS).strftime("%H:%M") == "03:00"
    contact.refresh_from_db()
    assert plan(contact).next_reminder_slot == "2026-03-30T02:30"


def test_fall_back_through_the_scheduler_sends_once() -> None:
    contact = make_contact(phone_number="+32470123456", language_id="nl", time_zone="Europe/Brussels")
    services.reminders_set_times(
        contact=contact, times=[datetime(2026, 1, 1, 2, 30).time()], now=datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    )

    first = plan_at(datetime(2026, 10, 25, 0, 31, tzinfo=UTC))  # 02:31 summer time
    again = plan_at(datetime(2026, 10, 25, 1, 31, tzinfo=UTC))  # 02:31 winter time: the hour repeats

    assert len(first) == len(again) == 1
    contact.refresh_from_db()
    assert plan(contact).next_reminder_slot == "2026-10-26T02:30"


def test_a_contact_in_another_zone_is_planned_at_their_local_time() -> None:
    contact = make_contact(phone_number="+12125550123", language_id="en")
    services.reminders_set_times(
        contact=contact, times=[datetime(2026, 1, 1, 8, 0).time()], now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    )

    assert plan_at(datetime(2026, 11, 24, 12, 59, tzinfo=UTC)) == []
    [message] = plan_at(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # 08:00 in New York
    assert message.slot == "2026-11-24T08:00"
