"""The one outbound pipeline: every purpose goes through the same checks, the same sender
choice and the same recording; the checks a purpose needs are registered by its owner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from contacts.models import Contact
from messaging import bulk, outbound, recipients
from messaging.backends import get_backend
from messaging.backends.console import ConsoleBackend
from messaging.backends.locmem import LocmemBackend
from messaging.models import Message
from messaging.presend import NotBefore, Refusal, Verdict, register_check, unregister_check
from messaging.tasks import start_senders
from reminders.tasks import tick
from tests.support.people import make_contact, plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


@pytest.fixture
def registered() -> Iterator[list[tuple[str, Any]]]:
    """Checks a test registers, unregistered afterwards."""
    added: list[tuple[str, Any]] = []
    yield added
    for purpose, check in added:
        unregister_check(purpose, check)


def preview(number: str = "+32470999999") -> Message:
    return outbound.preview_record(phone_number=number, body="Draft text.", language="en", topic=None)


def test_a_purpose_with_a_registered_refusal_is_not_sent_and_the_row_says_why(
    registered: list[tuple[str, Any]], outbox: list[Any]
) -> None:
    def embargo(message: Message, now: datetime) -> Verdict:
        return Refusal("not sent: previews are under embargo")

    register_check(Message.Purpose.PREVIEW, embargo)
    registered.append((Message.Purpose.PREVIEW, embargo))
    message = preview()

    result = outbound.message_send(message_id=message.pk)

    message.refresh_from_db()
    assert result.state == message.state == Message.State.CANCELLED
    assert message.note == "not sent: previews are under embargo"
    assert outbox == []


def test_a_registered_check_applies_to_its_purpose_only(registered: list[tuple[str, Any]], outbox: list[Any]) -> None:
    def no_replies(message: Message, now: datetime) -> Verdict:
        return Refusal("not sent: no replies today")

    register_check(Message.Purpose.REPLY, no_replies)
    registered.append((Message.Purpose.REPLY, no_replies))

    outbound.message_send(message_id=preview().pk)

    assert [sms.to for sms in outbox] == ["+32470999999"]


def test_a_registered_not_before_hands_the_message_back_until_then(
    registered: list[tuple[str, Any]], outbox: list[Any]
) -> None:
    morning = timezone.now() + timedelta(hours=3)

    def wait(message: Message, now: datetime) -> Verdict:
        return NotBefore(morning, "held until the morning")

    register_check(Message.Purpose.PREVIEW, wait)
    registered.append((Message.Purpose.PREVIEW, wait))
    message = preview()

    result = outbound.message_send(message_id=message.pk)

    message.refresh_from_db()
    assert (message.state, message.note, message.next_attempt_at) == (
        Message.State.PENDING,
        "held until the morning",
        morning,
    )
    assert message.attempts == 0  # waiting is not an attempt
    assert result.retry_in is not None and 3 * 3600 - 60 < result.retry_in <= 3 * 3600
    assert outbox == []


def contact(state: str) -> Contact:
    fields: dict[str, Any] = {}
    if state == "opted out":
        fields = {"sms_opted_out": True, "sms_opted_out_at": timezone.now()}
    elif state == "undeliverable":
        fields = {"sms_undeliverable_at": timezone.now(), "sms_undeliverable_reason": "Twilio error 21614"}
    elif state == "paused":
        fields = {"paused_at": timezone.now()}
    return make_contact(
        phone_number="+32470123456",
        language_id="nl",
        time_zone="Europe/Brussels",
        reminder_times=["09:00", "13:00", "17:00"],
        **fields,
    )


def a_reply(person: Contact) -> Message:
    """A reply decided a moment ago: created claimed, as the worker that decided it creates it."""
    reply = outbound.message_new(
        purpose=Message.Purpose.REPLY,
        contact=person,
        phone_number=person.phone_number,
        body="Rek je kuit.",
        state=Message.State.SENDING,
        claimed_at=timezone.now(),
        attempts=1,
    )
    reply.save()
    return reply


def a_reminder(person: Contact) -> Message:
    reminder = outbound.message_new(
        purpose=Message.Purpose.REMINDER,
        contact=person,
        phone_number=person.phone_number,
        body="Herinnering: drink genoeg.",
        scheduled_for=timezone.now(),
        slot="2026-06-10T10:30",
    )
    reminder.save()
    return reminder


@pytest.mark.parametrize("state", ["opted out", "undeliverable"])
def test_the_reply_path_and_the_bulk_path_refuse_the_same_contact_the_same_way(state: str, outbox: list[Any]) -> None:
    person = contact(state)
    reply, reminder = a_reply(person), a_reminder(person)

    outbound.deliver(message=Message.objects.select_related("contact").get(pk=reply.pk))
    bulk.bulk_send_batch()

    reply.refresh_from_db()
    reminder.refresh_from_db()
    assert reply.state == reminder.state == Message.State.CANCELLED
    assert (
        reply.note
        == reminder.note
        == f"not sent: the number {'has opted out' if state == 'opted out' else 'is undeliverable'}"
    )
    assert outbox == []


def test_a_landline_refused_for_sms_is_refused_sms_only() -> None:
    person = contact("undeliverable")
    sms = outbound.message_new(purpose=Message.Purpose.REPLY, contact=person, phone_number=person.phone_number)
    call = outbound.message_new(
        purpose=Message.Purpose.REPLY, contact=person, phone_number=person.phone_number, channel=Message.Channel.VOICE
    )

    assert recipients.refusal(sms) == Refusal("not sent: the number is undeliverable")
    assert recipients.refusal(call) is None


def test_pause_is_about_reminders_a_paused_person_still_gets_their_answer(outbox: list[Any]) -> None:
    person = contact("paused")
    reply, reminder = a_reply(person), a_reminder(person)

    outbound.deliver(message=Message.objects.select_related("contact").get(pk=reply.pk))
    bulk.bulk_send_batch()

    reply.refresh_from_db()
    reminder.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert (reminder.state, reminder.note) == (Message.State.CANCELLED, "not sent: reminders are paused")
    assert [sms.body for sms in outbox] == ["Rek je kuit."]


def test_a_paused_person_who_texts_kramp_gets_the_answer(text: Any, outbox: list[Any]) -> None:
    text("HERINNER 9 17")
    text("PAUZE")
    outbox.clear()

    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert len(outbox) == 1


def test_every_purpose_goes_out_from_the_same_number(settings: Any) -> None:
    person = contact("active")
    inbound = Message.objects.create(
        direction=Message.Direction.INBOUND, phone_number=person.phone_number, service_number="+3225550199"
    )

    assert a_reminder(person).service_number == settings.TWILIO_FROM_NUMBER
    assert preview().service_number == settings.TWILIO_FROM_NUMBER
    assert outbound.sender_for(texted=inbound.service_number) == "+3225550199"  # a reply stays in the thread
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "0" * 32
    assert outbound.sender_for(texted=inbound.service_number) == ""  # the Messaging Service picks
    assert a_reminder(contact_two()).service_number == ""


def contact_two() -> Contact:
    return make_contact(phone_number="+32470123457", language_id="nl", reminder_times=["09:00"])


def configured(backend: Any) -> Any:
    """The configured backend behind the try-it phone's router (messaging/backends/simulator.py)."""
    return backend.backend


def test_the_backend_follows_the_settings_without_being_reset_by_hand() -> None:
    first = get_backend()
    assert isinstance(configured(first), LocmemBackend)
    assert get_backend("sms") is first  # one instance per process and channel

    with override_settings(SMS_BACKEND="console"):
        assert isinstance(configured(get_backend()), ConsoleBackend)

    assert isinstance(configured(get_backend()), LocmemBackend)
    assert get_backend() is not first  # built again: the settings changed twice


def test_a_twilio_setting_change_gives_a_twilio_backend_built_with_it() -> None:
    with override_settings(SMS_BACKEND="twilio", TWILIO_TIMEOUT_SECONDS=2.0):
        first = get_backend()
        assert first.http.timeout == 2.0  # type: ignore[attr-defined]
        with override_settings(TWILIO_TIMEOUT_SECONDS=3.0):
            assert get_backend().http.timeout == 3.0  # type: ignore[attr-defined]


def test_beat_starts_the_bulk_senders_on_its_own_schedule() -> None:
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "messaging.tasks.start_senders")

    assert entry["schedule"] == settings.SMS_BULK_START_SECONDS


def test_the_reminder_tick_only_writes_rows_and_beat_s_task_sends_them(outbox: list[Any], shared_redis: str) -> None:
    person = contact("active")
    its_plan = plan(person)
    its_plan.next_reminder_at = timezone.now() - timedelta(minutes=1)
    its_plan.next_reminder_slot = "2026-06-10T10:29"
    its_plan.save()

    tick()

    [reminder] = Message.objects.filter(purpose=Message.Purpose.REMINDER)
    assert reminder.state == Message.State.PENDING
    assert outbox == []

    start_senders()

    reminder.refresh_from_db()
    assert reminder.state == Message.State.SUBMITTED
    assert [sms.to for sms in outbox] == ["+32470123456"]
    assert plan(person).next_reminder_at > timezone.now()  # the next one is planned
