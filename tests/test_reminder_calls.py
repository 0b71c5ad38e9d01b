"""Reminder calls end to end: the scheduler's call row, placed through the real `twilio` client
to the local stand-in, answered by the programmable phone playing Twilio's side (fetching our
Url, posting the status callbacks with AnsweredBy), through the real views with signed
requests. Retries with the clock frozen, the SMS fallback, permanent errors by voice only, a
callback that arrives before the create's answer, an uncertain attempt, and two placers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from advice.models import Topic, TopicTranslation
from contacts.models import Contact
from messaging import bulk
from messaging.backends.base import SendError, Submitted
from messaging.backends.locmem_voice import LocmemVoiceBackend
from messaging.backends.voice import OutgoingCall, get_voice_backend
from messaging.models import Message
from messaging.twilio_errors import Outcome
from reminders import advisories, calls
from reminders.models import ReminderPlan
from reminders.scheduler import reminders_plan_due
from tests.conftest import Clock, sign
from tests.support.fake_twilio import FakeTwilio, Scripted
from tests.support.people import make_contact
from tests.support.twilio_phone import TwilioPhone
from tests.support.twiml_check import assert_valid_twiml

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


@pytest.fixture
def voice(fake_twilio: FakeTwilio, settings: Any) -> FakeTwilio:
    settings.VOICE_BACKEND = "twilio"
    return fake_twilio


@pytest.fixture
def phone(client: Client) -> TwilioPhone:
    return TwilioPhone.for_django(client)


def due_caller(number: str = "+32470123456", *, language: str = "nl", **fields: Any) -> Contact:
    at = timezone.now() - timedelta(seconds=30)
    return make_contact(
        phone_number=number,
        language_id=language,
        time_zone="Europe/Brussels",
        reminder_times=["09:00", "13:00", "17:00"],
        channel="voice",
        next_reminder_at=at,
        next_reminder_slot=at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    )


def call_row(person: Contact) -> Message:
    return Message.objects.get(contact=person, channel=Message.Channel.VOICE)


def voice_text(row: Message) -> str:
    return TopicTranslation.objects.get(topic=row.topic, language=row.language).voice_text


def test_a_person_answers_hears_the_reminder_in_their_voice_and_it_is_delivered(
    voice: FakeTwilio, phone: TwilioPhone
) -> None:
    person = due_caller()
    reminders_plan_due()

    placed = calls.calls_place_batch()

    assert placed.placed == 1
    call = phone.answer(voice.wait_for_calls(1)[0], answered_by="human", fake=voice)
    row = call_row(person)
    assert call.heard[0] == " ".join(voice_text(row).split())
    assert call.said_with[0][1:] == ("Polly.Lisa-Neural", "nl-BE")
    assert call.heard[1].startswith("Om deze herinnering opnieuw te horen, druk op één.")
    assert [x.status for x in call.status_callbacks] == [204, 204, 204, 204]
    assert row.state == Message.State.SUBMITTED
    assert row.provider_status == "completed"
    assert row.note == "answered by a person"
    assert row.provider_sid == call.sid
    (attempt,) = calls.attempts_of(row)
    assert attempt["answered_by"] == "human" and attempt["outcome"] == "answered by a person"
    assert not Message.objects.filter(contact=person, channel=Message.Channel.SMS).exists()


def test_a_voicemail_gets_the_reminder_after_the_beep_and_counts_as_delivered(
    voice: FakeTwilio, phone: TwilioPhone
) -> None:
    person = due_caller(language="fr")
    reminders_plan_due()
    calls.calls_place_batch()

    call = phone.answer(voice.wait_for_calls(1)[0], answered_by="machine_end_beep", fake=voice)

    row = call_row(person)
    assert call.heard == [" ".join(voice_text(row).split())]
    assert call.said_with[0][1:] == ("Polly.Isabelle-Neural", "fr-BE")
    assert row.note == "answered by a machine (machine_end_beep)"
    assert row.state == Message.State.SUBMITTED


def test_pressing_1_repeats_and_2_stops_reminders_and_nothing_else(voice: FakeTwilio, phone: TwilioPhone) -> None:
    person = due_caller(language="en")
    reminders_plan_due()
    calls.calls_place_batch()

    call = phone.answer(voice.wait_for_calls(1)[0], answered_by="human", keys=["1", "2"], fake=voice)

    reminder = " ".join(voice_text(call_row(person)).split())
    assert call.heard.count(reminder) == 2
    assert call.heard[-1] == "Your reminder calls are stopped. Nothing else changes. Goodbye."
    person = Contact.objects.get(pk=person.pk)
    plan = ReminderPlan.objects.get(contact=person)
    assert plan.reminder_times == [] and plan.next_reminder_at is None
    assert person.can_receive("sms") and person.can_receive("voice") and person.language_id == "en"


def test_busy_no_answer_busy_then_the_reminder_goes_out_as_a_text(
    voice: FakeTwilio, phone: TwilioPhone, clock: Clock
) -> None:
    person = due_caller()
    reminders_plan_due(now=clock.now)
    outcomes = ["busy", "no-answer", "busy"]

    for attempt, outcome in enumerate(outcomes, start=1):
        assert calls.calls_place_batch().placed == 1
        phone.answer(voice.wait_for_calls(attempt)[-1], outcome=outcome, fake=voice)
        row = call_row(person)
        assert row.attempts == attempt
        if attempt < 3:
            assert row.state == Message.State.PENDING
            assert row.next_attempt_at == clock.now + timedelta(minutes=10)
            assert calls.calls_place_batch().claimed == 0  # not before its time
            clock.advance(minutes=10)

    row = call_row(person)
    assert row.state == Message.State.FAILED
    assert row.note == "busy after 3 attempt(s); sent as a text instead"
    assert [a["status"] for a in calls.attempts_of(row)] == outcomes
    text = Message.objects.get(contact=person, channel=Message.Channel.SMS)
    assert text.purpose == Message.Purpose.REMINDER and text.slot == row.slot
    assert text.body == TopicTranslation.objects.get(topic=row.topic, language="nl").sms_text
    bulk.bulk_send_batch()  # the bulk SMS sender (queued on commit) texts it through the stand-in
    (sent,) = voice.creates()
    assert sent.params["Body"] == text.body and sent.params["To"] == person.phone_number
    assert len(voice.wait_for_calls(3)) == 3


def test_without_the_fallback_a_failed_reminder_call_is_only_recorded(
    voice: FakeTwilio, phone: TwilioPhone, clock: Clock, settings: Any
) -> None:
    settings.VOICE_FALLBACK_TO_SMS = False
    settings.VOICE_MAX_ATTEMPTS = 1
    person = due_caller()
    reminders_plan_due(now=clock.now)
    calls.calls_place_batch()

    phone.answer(voice.wait_for_calls(1)[0], outcome="no-answer", fake=voice)

    assert call_row(person).state == Message.State.FAILED
    assert not Message.objects.filter(contact=person, channel=Message.Channel.SMS).exists()


def test_quiet_hours_cut_the_retries(voice: FakeTwilio, phone: TwilioPhone, settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "10:35-08:00"  # the fixed clock is 10:30: a retry at 10:40 would be quiet
    person = due_caller()
    reminders_plan_due()
    calls.calls_place_batch()

    phone.answer(voice.wait_for_calls(1)[0], outcome="busy", fake=voice)

    row = call_row(person)
    assert row.state == Message.State.FAILED and row.attempts == 1


@pytest.mark.parametrize("code", [21215, 13224])
def test_a_permanent_error_marks_the_number_uncallable_only_and_texts_the_reminder(
    voice: FakeTwilio, code: int
) -> None:
    person = due_caller()
    reminders_plan_due()
    voice.then_calls(Scripted(status=400, code=code))

    calls.calls_place_batch()

    person = Contact.objects.get(pk=person.pk)
    assert not person.can_receive("voice")
    assert person.can_receive("sms")
    row = call_row(person)
    assert row.state == Message.State.FAILED and row.error_code == code
    assert Message.objects.filter(contact=person, channel=Message.Channel.SMS, purpose="reminder").count() == 1
    assert len([r for r in voice.call_creates()]) == 1  # exactly one call


def test_a_twilio_outage_is_retried_soon_without_using_an_attempt(voice: FakeTwilio, clock: Clock) -> None:
    person = due_caller()
    reminders_plan_due(now=clock.now)
    voice.then_calls(Scripted(status=429, code=20429))

    calls.calls_place_batch()

    row = call_row(person)
    assert row.state == Message.State.PENDING and row.attempts == 0
    assert row.next_attempt_at == clock.now + timedelta(seconds=calls.PROVIDER_RETRY_SECONDS)


class CallbackFirst(LocmemVoiceBackend):
    """Twilio's callbacks can arrive before the create's answer: play them first."""

    def place_call(self, call: OutgoingCall) -> Submitted:
        placed = super().place_call(call)
        query = call.status_callback.split("?", 1)[1]
        refs = dict(part.split("=") for part in query.split("&"))
        for status in ("initiated", "ringing", "in-progress", "completed"):
            params = {"CallSid": placed.sid, "CallStatus": status, "AnsweredBy": "human"}
            assert calls.call_status_record(message_ref=refs["m"], attempt_ref=refs["a"], params=params) == ""
        return placed


def test_a_callback_before_the_create_returns_is_not_lost() -> None:
    person = due_caller()
    reminders_plan_due()

    calls.calls_place_batch(backend=CallbackFirst())

    row = call_row(person)
    assert row.state == Message.State.SUBMITTED
    assert row.provider_status == "completed"
    assert row.note == "answered by a person"


def test_status_only_moves_forward(client: Client) -> None:
    person = due_caller()
    reminders_plan_due()
    calls.calls_place_batch()
    row = call_row(person)
    ref = {"message_ref": str(row.pk), "attempt_ref": "1"}

    for status in ("completed", "ringing", "initiated"):
        calls.call_status_record(**ref, params={"CallSid": row.provider_sid, "CallStatus": status})

    row = call_row(person)
    assert row.provider_status == "completed"
    assert calls.attempts_of(row)[0]["status"] == "completed"
    assert calls.call_status_record(**ref, params={"CallSid": "CA" + "1" * 32, "CallStatus": "busy"}) != ""


def test_an_uncertain_attempt_is_looked_up_before_calling_again(clock: Clock) -> None:
    person = due_caller()
    reminders_plan_due(now=clock.now)
    backend = get_voice_backend()
    assert isinstance(backend, LocmemVoiceBackend)

    class ReachedThenTimedOut(LocmemVoiceBackend):
        def place_call(self, call: OutgoingCall) -> Submitted:
            super().place_call(call)  # Twilio has it ...
            raise SendError("read timeout", outcome=Outcome.RETRY, uncertain=True)  # ... we never heard

    calls.calls_place_batch(backend=ReachedThenTimedOut())
    row = call_row(person)
    assert row.state == Message.State.PENDING and row.uncertain
    clock.advance(seconds=calls.PROVIDER_RETRY_SECONDS)

    calls.calls_place_batch()

    row = call_row(person)
    assert len(LocmemVoiceBackend.placed) == 1  # found, not placed again
    assert LocmemVoiceBackend.lookups == [person.phone_number]
    assert row.state == Message.State.SUBMITTED and row.attempts == 1 and not row.uncertain


def test_a_placer_killed_mid_create_leaves_the_attempt_named_for_the_next(clock: Clock) -> None:
    person = due_caller()
    reminders_plan_due(now=clock.now)
    (claimed,) = calls.calls_claim(limit=10)
    calls._record_started(claimed.pk, claimed.attempts)  # then the worker dies: no answer recorded
    # The sweeper hands abandoned rows back, uncertain.
    Message.objects.filter(pk=claimed.pk).update(state=Message.State.PENDING, uncertain=True)

    calls.calls_place_batch()

    row = call_row(person)
    assert LocmemVoiceBackend.lookups == [person.phone_number]
    assert len(LocmemVoiceBackend.placed) == 1  # nothing found: placed now, as attempt 1
    assert row.attempts == 1 and row.state == Message.State.SUBMITTED


def test_stop_by_text_before_the_call_cancels_it(text: Any) -> None:
    person = due_caller()
    reminders_plan_due()
    text("STOP", sender=person.phone_number)

    calls.calls_place_batch()

    assert call_row(person).state == Message.State.CANCELLED
    assert LocmemVoiceBackend.placed == []


def test_a_paused_person_is_not_called() -> None:
    person = due_caller()
    reminders_plan_due()
    ReminderPlan.objects.filter(contact=person).update(paused_at=timezone.now())

    calls.calls_place_batch()

    assert call_row(person).state == Message.State.CANCELLED


def test_a_call_later_than_the_voice_grace_is_missed(clock: Clock) -> None:
    person = due_caller()
    reminders_plan_due(now=clock.now)
    clock.advance(minutes=61)

    calls.calls_place_batch()

    assert call_row(person).state == Message.State.MISSED


def test_the_twiml_needs_twilios_signature(client: Client) -> None:
    person = due_caller()
    reminders_plan_due()
    row = call_row(person)
    path = f"/twilio/voice/reminder/?m={row.pk}&a=1"
    params = {"CallSid": "CA" + "2" * 32, "AnsweredBy": "human"}

    assert client.post(path, params).status_code == 403
    signed = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))
    assert signed.status_code == 200
    assert_valid_twiml(signed.content.decode())
    assert client.post("/twilio/voice/reminder/status/?m=1&a=1", {}).status_code == 403


def test_an_unknown_or_malformed_call_is_answered_with_a_hang_up(client: Client) -> None:
    for path in ("/twilio/voice/reminder/?m=999&a=1", "/twilio/voice/reminder/?m=x&a=%00"):
        answer = client.post(path, {}, HTTP_X_TWILIO_SIGNATURE=sign(path, {}))
        assert answer.status_code == 200 and b"<Hangup" in answer.content


def test_placing_keeps_to_the_calls_per_second(shared_redis: str, settings: Any) -> None:
    settings.VOICE_CALLS_PER_SECOND = 20.0
    for index in range(10):
        due_caller(f"+3247000{index:04d}")
    reminders_plan_due()
    started = datetime.now().timestamp()

    while calls.calls_place_batch().claimed:
        pass

    elapsed = datetime.now().timestamp() - started
    assert len(LocmemVoiceBackend.placed) == 10
    assert elapsed >= 9 / 20 * 0.95


def test_a_heat_advisory_reaches_people_who_chose_calls_as_a_call(voice: FakeTwilio, phone: TwilioPhone) -> None:
    caller = due_caller("+32470000001", language="de")
    texter = make_contact(
        phone_number="+32470000002",
        language_id="de",
        reminder_times=["09:00"],
        next_reminder_at=timezone.now() + timedelta(hours=1),
    )
    ReminderPlan.objects.filter(contact=caller).update(next_reminder_at=timezone.now() + timedelta(hours=1))
    broadcast = advisories.advisory_start(topic=Topic.objects.get(slug=Topic.HEAT))
    advisories.advisory_plan(broadcast_id=broadcast.pk)

    calls.calls_place_batch()
    bulk.bulk_send_batch()

    call = phone.answer(voice.wait_for_calls(1)[0], answered_by="human", fake=voice)
    heat = TopicTranslation.objects.get(topic__slug=Topic.HEAT, language="de")
    assert call.heard[0] == " ".join(heat.voice_text.split())
    assert call.to == caller.phone_number
    (text,) = voice.creates()
    assert text.params["To"] == texter.phone_number
    row = Message.objects.get(broadcast=broadcast, contact=caller)
    assert row.channel == Message.Channel.VOICE and row.note == "answered by a person"
