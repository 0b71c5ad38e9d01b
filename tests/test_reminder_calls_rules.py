"""Reminder calls, the parts that need neither the outbound pipeline nor the phone menu: the
channel chosen by SMS in four languages, the retry rules with the clock frozen, permanent
errors by voice only, the shared calls-per-second limit, the Twilio voice backend at the
HTTP boundary, and the scheduler's call rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from messaging import ratelimit
from messaging.backends.base import SendError
from messaging.backends.voice import OutgoingCall, get_voice_backend
from messaging.models import Message
from messaging.twilio_errors import VOICE_BAD_NUMBER_CODES, Outcome, classify, classify_call
from reminders import call_rules
from reminders.call_rules import CallResult, call_outcome, next_call_at
from reminders.models import ReminderPlan
from reminders.schedule import QuietHours
from reminders.scheduler import reminders_plan_due
from tests.support.fake_twilio import FakeTwilio, Scripted
from tests.support.people import make_contact, plan

BRUSSELS = ZoneInfo("Europe/Brussels")
QUIET = QuietHours(start=datetime(2026, 1, 1, 21, 0).time(), end=datetime(2026, 1, 1, 8, 0).time())


def contact(number: str = "+32470123456") -> Contact:
    return Contact.objects.get(phone_number=number)


# --- The channel, by SMS ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "times", "confirmation"),
    [
        (
            "REMIND CALL 9:30",
            ["09:30"],
            "Reminder calls on: we will call you at 09:30 (Belgian time) with a short reminder.",
        ),
        ("HERINNER BEL 9u30", ["09:30"], "Herinneringen per telefoon: we bellen u om 09:30 (Belgische tijd)"),
        ("RAPPEL APPEL 9h30", ["09:30"], "Rappels par appel : nous vous appellerons à 09:30 (heure belge)"),
        ("ERINNERUNG ANRUF 9:30", ["09:30"], "Erinnerungsanrufe an: Wir rufen Sie um 09:30 (belgische Zeit)"),
        ("remind me by phone at 8 and 17", ["08:00", "17:00"], "Reminder calls on: we will call you at 08:00, 17:00"),
        ("Herinner mij telefonisch om 8u30", ["08:30"], "Herinneringen per telefoon: we bellen u om 08:30"),
        ("Rappelle-moi par téléphone à 18h", ["18:00"], "Rappels par appel : nous vous appellerons à 18:00"),
        ("Erinnere mich per Telefon um 10 Uhr", ["10:00"], "Erinnerungsanrufe an: Wir rufen Sie um 10:00"),
    ],
)
def test_a_call_word_after_the_reminder_word_sets_reminder_calls_and_says_so(
    text: Any, body: str, times: list[str], confirmation: str
) -> None:
    reply = text(body)

    assert reply.body.startswith(confirmation)
    assert plan(contact()).channel == ReminderPlan.Channel.VOICE
    assert plan(contact()).reminder_times == times
    assert reply.topic.slug == Topic.REMINDERS_ON_CALL
    # A reminder confirmation always carries the storage line.
    assert reply.body.splitlines()[-1] in {
        "We store your number. Text FORGET to erase it.",
        "We bewaren uw nummer. Wissen: stuur VERGEET MIJ.",
        "Numéro conservé. Pour l'effacer, envoyez OUBLIEZ-MOI.",
        "Wir speichern Ihre Nummer. Zum Löschen VERGISS MICH senden.",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("back", ["REMIND SMS", "HERINNER SMS", "RAPPEL SMS", "ERINNERUNG SMS", "remind me by text"])
def test_an_sms_word_goes_back_to_text_reminders_keeping_the_times(text: Any, back: str) -> None:
    text("REMIND CALL 9:30 17")

    reply = text(back)

    assert plan(contact()).channel == ReminderPlan.Channel.SMS
    assert plan(contact()).reminder_times == ["09:30", "17:00"]
    assert reply.topic.slug == Topic.REMINDERS_ON


@pytest.mark.django_db
def test_remind_without_a_channel_word_keeps_the_channel_chosen(text: Any) -> None:
    text("REMIND CALL 9:30")

    reply = text("REMIND 8 12")

    assert plan(contact()).channel == ReminderPlan.Channel.VOICE
    assert plan(contact()).reminder_times == ["08:00", "12:00"]
    assert reply.topic.slug == Topic.REMINDERS_ON_CALL


@pytest.mark.django_db
def test_a_new_subscriber_gets_texts_unless_they_ask_for_calls(text: Any) -> None:
    text("REMIND 9")

    assert plan(contact()).channel == ReminderPlan.Channel.SMS


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["CALL", "BEL", "call me about my cramps", "SMS"])
def test_a_channel_word_without_a_reminder_word_changes_nothing(text: Any, body: str) -> None:
    text("REMIND 9")

    reply = text(body)

    assert plan(contact()).channel == ReminderPlan.Channel.SMS
    assert reply.topic.slug != Topic.REMINDERS_ON_CALL


@pytest.mark.django_db
def test_a_time_in_the_quiet_hours_is_refused_for_calls_as_for_texts(text: Any) -> None:
    reply = text("REMIND CALL 23:00")

    assert reply.topic.slug == Topic.REMINDERS_QUIET
    assert not ReminderPlan.objects.filter(contact__phone_number="+32470123456", reminder_times__len=1).exists()


# --- Retry rules, with the clock frozen ---------------------------------------------------

DUE = datetime(2026, 6, 10, 9, 30, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("status", "answered_by", "code", "result"),
    [
        ("completed", "human", None, CallResult.ANSWERED),
        ("completed", "machine_end_beep", None, CallResult.VOICEMAIL),
        ("completed", "machine_end_silence", None, CallResult.VOICEMAIL),
        ("completed", "fax", None, CallResult.NOT_A_PHONE),
        ("busy", "", None, CallResult.RETRY),
        ("no-answer", "", None, CallResult.RETRY),
        ("canceled", "", None, CallResult.RETRY),
        ("failed", "", 13224, CallResult.UNREACHABLE),
        ("failed", "", 21215, CallResult.UNREACHABLE),
        ("failed", "", 31005, CallResult.RETRY),
        ("failed", "", None, CallResult.RETRY),
    ],
)
def test_a_calls_final_status_is_classified_once(
    status: str, answered_by: str, code: int | None, result: CallResult
) -> None:
    outcome = call_outcome(status=status, answered_by=answered_by, error_code=code)

    assert outcome is not None and outcome.result == result
    assert outcome.delivered == (result in (CallResult.ANSWERED, CallResult.VOICEMAIL))


@pytest.mark.parametrize("status", ["queued", "initiated", "ringing", "in-progress"])
def test_a_call_not_over_has_no_outcome_yet(status: str) -> None:
    assert call_outcome(status=status) is None


def test_busy_is_tried_again_ten_minutes_later_three_attempts_in_all() -> None:
    first = DUE + timedelta(seconds=40)

    second = next_call_at(scheduled_for=DUE, attempts=1, now=first, zone=BRUSSELS, quiet=QUIET)
    assert second == first + timedelta(minutes=10)
    third = next_call_at(scheduled_for=DUE, attempts=2, now=second, zone=BRUSSELS, quiet=QUIET)
    assert third == second + timedelta(minutes=10)
    assert next_call_at(scheduled_for=DUE, attempts=3, now=third, zone=BRUSSELS, quiet=QUIET) is None


def test_no_attempt_after_the_voice_grace_period(settings: Any) -> None:
    settings.VOICE_MAX_ATTEMPTS = 10

    late = DUE + timedelta(minutes=51)

    assert next_call_at(scheduled_for=DUE, attempts=1, now=late, zone=BRUSSELS, quiet=QUIET) is None
    assert next_call_at(scheduled_for=DUE, attempts=1, now=late - timedelta(minutes=2), zone=BRUSSELS, quiet=QUIET)


def test_quiet_hours_cut_the_retries() -> None:
    evening = datetime(2026, 6, 10, 20, 55, tzinfo=BRUSSELS)

    assert next_call_at(scheduled_for=evening, attempts=1, now=evening, zone=BRUSSELS, quiet=QUIET) is None
    early = evening - timedelta(minutes=30)
    assert next_call_at(scheduled_for=early, attempts=1, now=early, zone=BRUSSELS, quiet=QUIET) is not None


def test_quiet_hours_are_the_contacts_own() -> None:
    # 20:45 in Brussels is 14:45 in New York: not quiet there.
    evening = datetime(2026, 6, 10, 20, 45, tzinfo=BRUSSELS)
    new_york = ZoneInfo("America/New_York")

    assert next_call_at(scheduled_for=evening, attempts=1, now=evening, zone=new_york, quiet=QUIET) is not None


def test_the_settings_set_the_schedule(settings: Any) -> None:
    settings.VOICE_RETRY_MINUTES = 5
    settings.VOICE_MAX_ATTEMPTS = 2

    assert next_call_at(scheduled_for=DUE, attempts=1, now=DUE, zone=BRUSSELS, quiet=QUIET) == DUE + timedelta(
        minutes=5
    )
    assert next_call_at(scheduled_for=DUE, attempts=2, now=DUE, zone=BRUSSELS, quiet=QUIET) is None


@pytest.mark.django_db
def test_the_sms_fallback_needs_the_setting_and_a_number_that_may_receive_texts(settings: Any) -> None:
    person = make_contact(phone_number="+32470123456", reminder_times=["09:00"], channel="voice")
    assert call_rules.falls_back_to_sms(person)

    settings.VOICE_FALLBACK_TO_SMS = False
    assert not call_rules.falls_back_to_sms(person)

    settings.VOICE_FALLBACK_TO_SMS = True
    contact_services.contact_mark_undeliverable(contact_id=person.pk, channel="sms", reason="30006")
    assert not call_rules.falls_back_to_sms(contact())


def test_capacity_is_calls_per_second_times_the_grace_period(settings: Any) -> None:
    settings.VOICE_CALLS_PER_SECOND = 1
    assert call_rules.capacity_per_grace() == 3600
    settings.VOICE_CALLS_PER_SECOND = 10
    assert call_rules.capacity_per_grace() == 36_000


# --- Permanent errors: voice only ---------------------------------------------------------


@pytest.mark.parametrize("code", [13223, 13224, 13227, 21215, 21216, 21217, 21210, 21219, 21211])
def test_permanent_call_errors_mean_the_number_cannot_be_called(code: int) -> None:
    assert code in VOICE_BAD_NUMBER_CODES
    assert classify_call(code=code, http_status=400) == Outcome.BAD_NUMBER


@pytest.mark.parametrize(("code", "status"), [(20429, 429), (None, 429), (20500, 500), (None, 503)])
def test_throttling_and_server_errors_are_retried(code: int | None, status: int) -> None:
    assert classify_call(code=code, http_status=status) == Outcome.RETRY


def test_sms_only_errors_do_not_make_a_number_uncallable() -> None:
    for code in (21614, 21635, 30006, 21610):  # a landline can be called; an SMS opt-out is about texts
        assert classify(code=code) != Outcome.RETRY
        assert classify_call(code=code, http_status=400) == Outcome.FAILED


@pytest.mark.django_db
def test_unreachable_by_voice_leaves_texts_alone_and_reminders_fall_back_to_texts() -> None:
    person = make_contact(phone_number="+32470123456", reminder_times=["09:00"], channel="voice")

    contact_services.contact_mark_undeliverable(contact_id=person.pk, channel="voice", reason="Twilio error 13224")

    person = contact()
    assert not person.can_receive("voice")
    assert person.can_receive("sms")
    from reminders import services

    assert services.delivery_channel(plan(person)) == "sms"


# --- Calls per second, shared through Redis -----------------------------------------------


def test_call_slots_follow_each_other_at_the_calls_per_second(shared_redis: str, settings: Any) -> None:
    settings.VOICE_CALLS_PER_SECOND = 10.0
    settings.SMS_RATE_LIMIT_PER_SECOND = 10.0

    first = ratelimit.reserve_calls(5)
    second = ratelimit.reserve_calls(5)
    texts = ratelimit.reserve(settings.TWILIO_FROM_NUMBER, 5)

    assert second.start - first.start == pytest.approx(0.5, abs=0.05)
    assert first.slot(1) - first.slot(0) == pytest.approx(0.1)
    assert texts.start - first.start < 0.05  # calls and texts have separate limits


def test_no_limit_means_no_waiting(settings: Any) -> None:
    settings.VOICE_CALLS_PER_SECOND = 0.0

    assert ratelimit.reserve_calls(100).interval == 0.0


# --- The Twilio voice backend, at the HTTP boundary -----------------------------------------


def outgoing(**changes: Any) -> OutgoingCall:
    fields = {
        "to": "+32470123456",
        "sender": "+3225550100",
        "url": "https://cramps.example.org/twilio/voice/reminder/?m=7&a=1",
        "status_callback": "https://cramps.example.org/twilio/voice/reminder/status/?m=7&a=1",
        "ring_seconds": 40,
        "time_limit_seconds": 180,
    }
    return OutgoingCall(**{**fields, **changes})


@pytest.fixture
def voice_twilio(fake_twilio: FakeTwilio, settings: Any) -> FakeTwilio:
    settings.VOICE_BACKEND = "twilio"
    return fake_twilio


def test_it_places_a_call_with_every_parameter_twilio_needs(voice_twilio: FakeTwilio) -> None:
    placed = get_voice_backend().place_call(outgoing())

    assert placed.sid.startswith("CA") and placed.status == "queued"
    (create,) = voice_twilio.call_creates()
    assert not create.violations
    params = voice_twilio.wait_for_calls(1)[0].params
    assert params["To"] == ["+32470123456"]
    assert params["From"] == ["+3225550100"]
    assert params["Url"] == ["https://cramps.example.org/twilio/voice/reminder/?m=7&a=1"]
    assert params["Method"] == ["POST"]
    assert params["StatusCallback"] == ["https://cramps.example.org/twilio/voice/reminder/status/?m=7&a=1"]
    assert params["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert params["Timeout"] == ["40"]
    assert params["TimeLimit"] == ["180"]
    assert params["MachineDetection"] == ["DetectMessageEnd"]
    assert "AsyncAmd" not in params  # synchronous: the TwiML is fetched after the beep


@pytest.mark.parametrize("code", [21215, 13224, 21217])
def test_a_permanent_error_is_classified_as_a_bad_number(voice_twilio: FakeTwilio, code: int) -> None:
    voice_twilio.then_calls(Scripted(status=400, code=code))

    with pytest.raises(SendError) as raised:
        get_voice_backend().place_call(outgoing())

    assert raised.value.outcome == Outcome.BAD_NUMBER
    assert raised.value.code == code
    assert not raised.value.uncertain


def test_a_server_error_is_retried_and_uncertain(voice_twilio: FakeTwilio) -> None:
    voice_twilio.then_calls(Scripted(status=500, code=20500))

    with pytest.raises(SendError) as raised:
        get_voice_backend().place_call(outgoing())

    assert raised.value.outcome == Outcome.RETRY
    assert raised.value.uncertain


def test_throttled_is_retried(voice_twilio: FakeTwilio) -> None:
    voice_twilio.then_calls(Scripted(status=429, code=20429))

    with pytest.raises(SendError) as raised:
        get_voice_backend().place_call(outgoing())

    assert raised.value.outcome == Outcome.RETRY


def test_an_uncertain_attempt_is_found_by_listing_calls_to_that_number(voice_twilio: FakeTwilio) -> None:
    started = timezone.now()
    voice_twilio.then_calls(Scripted(status=201, delay=1.5))  # accepted, answered after the client's timeout

    with pytest.raises(SendError) as raised:
        get_voice_backend().place_call(outgoing())
    assert raised.value.uncertain

    found = get_voice_backend().find_placed(outgoing(), since=started)

    assert found is not None and found.sid == voice_twilio.wait_for_calls(1)[0].sid
    assert get_voice_backend().find_placed(outgoing(to="+32470999999"), since=started) is None
    lists = [r for r in voice_twilio.call_requests() if r.method == "GET"]
    assert lists and lists[-1].params["To"] == "+32470999999"


def test_calls_from_before_the_attempt_are_not_taken_for_it(voice_twilio: FakeTwilio) -> None:
    get_voice_backend().place_call(outgoing())

    later = datetime.now(UTC) + timedelta(minutes=10)

    assert get_voice_backend().find_placed(outgoing(), since=later) is None


# --- The scheduler's rows -------------------------------------------------------------------


@pytest.fixture
def _no_quiet_hours(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


def due(channel: str, **fields: Any) -> Contact:
    at = timezone.now() - timedelta(minutes=1)
    return make_contact(
        phone_number=fields.pop("phone_number", "+32470123456"),
        language_id="nl",
        time_zone="Europe/Brussels",
        reminder_times=["09:00", "13:00", "17:00"],
        channel=channel,
        next_reminder_at=at,
        next_reminder_slot=at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_a_due_reminder_call_is_one_call_row_saying_the_voice_text() -> None:
    person = due("voice")

    reminders_plan_due()
    reminders_plan_due()

    (row,) = Message.objects.filter(contact=person)
    assert row.channel == Message.Channel.VOICE
    assert row.purpose == Message.Purpose.REMINDER
    assert row.state == Message.State.PENDING
    translation = row.topic.translations.get(language="nl")
    assert row.body == " ".join(translation.voice_text.split())
    assert row.body != translation.sms_text
    assert row.segments is None


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_a_number_that_cannot_be_called_gets_its_reminder_as_a_text(settings: Any) -> None:
    person = due("voice", voice_undeliverable_at=timezone.now(), voice_undeliverable_reason="13224")

    reminders_plan_due()

    (row,) = Message.objects.filter(contact=person)
    assert row.channel == Message.Channel.SMS


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_without_the_fallback_a_number_that_cannot_be_called_gets_nothing(settings: Any) -> None:
    settings.VOICE_FALLBACK_TO_SMS = False
    person = due("voice", voice_undeliverable_at=timezone.now(), voice_undeliverable_reason="13224")

    reminders_plan_due()

    assert not Message.objects.filter(contact=person).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_stop_by_text_stops_reminder_calls_too(text: Any) -> None:
    text("REMIND CALL 9:30")
    text("STOP")

    assert plan(contact()).next_reminder_at is None


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_text_reminders_are_untouched() -> None:
    person = due("sms")

    reminders_plan_due()

    (row,) = Message.objects.filter(contact=person)
    assert row.channel == Message.Channel.SMS and row.segments == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("_no_quiet_hours")
def test_a_call_planned_after_downtime_keeps_its_longer_grace() -> None:
    person = due("voice")
    ReminderPlan.objects.filter(contact=person).update(next_reminder_at=timezone.now() - timedelta(minutes=30))

    reminders_plan_due()

    (row,) = Message.objects.filter(contact=person)
    assert row.state == Message.State.PENDING  # 30 minutes late: a text would be missed, a call is still placed


@pytest.mark.django_db
def test_a_call_time_skipped_by_spring_forward_is_placed_once_at_the_first_valid_minute(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    from reminders import services

    person = make_contact(
        phone_number="+32470123456", time_zone="Europe/Brussels", reminder_times=["02:30"], channel="voice"
    )
    before = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    services.plan_reschedule(plan(person), now=before)
    due_at = plan(person).next_reminder_at

    reminders_plan_due(now=due_at + timedelta(seconds=5))
    reminders_plan_due(now=due_at + timedelta(seconds=20))

    (row,) = Message.objects.filter(contact=person)
    assert row.channel == Message.Channel.VOICE
    assert row.scheduled_for.astimezone(BRUSSELS).strftime("%H:%M") == "03:00"
    assert row.slot == "2026-03-29T02:30"


# --- The phone menu's 8, as services the voice channel calls --------------------------------


@pytest.mark.django_db
def test_menu_8_tells_the_setting_sets_calls_one_time_and_goes_back_to_texts() -> None:
    from reminders import services

    person = make_contact(phone_number="+32470123456", time_zone="Europe/Brussels")
    assert services.reminder_calls_setting(contact=person).topic == Topic.VOICE_REMINDER_SETTING_NONE

    on = services.reminder_calls_on(contact=person)
    defaults = ", ".join(at.strftime("%H:%M") for at in services.default_times_for(person))  # spread per contact
    assert on == services.Reply(Topic.VOICE_REMINDER_CALLS_ON, {"times": defaults})
    assert plan(person).channel == ReminderPlan.Channel.VOICE and plan(person).next_reminder_at is not None
    assert services.reminder_calls_setting(contact=contact()).params == {"times": defaults}

    one = services.reminder_calls_at(contact=contact(), digits="0930")
    assert one == services.Reply(Topic.VOICE_REMINDER_CALLS_ON, {"times": "09:30"})
    assert plan(person).reminder_times == ["09:30"]

    texts = services.reminder_texts_again(contact=contact())
    assert texts == services.Reply(Topic.VOICE_REMINDER_TEXTS_ON, {"times": "09:30"})
    assert plan(person).channel == ReminderPlan.Channel.SMS and plan(person).reminder_times == ["09:30"]
    assert services.reminder_calls_setting(contact=contact()).topic == Topic.VOICE_REMINDER_SETTING_TEXTS


@pytest.mark.django_db
@pytest.mark.parametrize("digits", ["2330", "0700", "2599", "0975", "93", "09301", "٠٩٣٠"])
def test_menu_8_refuses_a_time_that_is_no_time_or_in_the_quiet_hours(digits: str) -> None:
    from reminders import services

    person = make_contact(phone_number="+32470123456", time_zone="Europe/Brussels")

    refused = services.reminder_calls_at(contact=person, digits=digits)

    assert refused == services.Reply(Topic.VOICE_REMINDER_TIME_REFUSED, {"end": "08:00", "start": "21:00"})
    assert not ReminderPlan.objects.filter(contact=person).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_reminder_call_prompt_is_spoken_in_each_language(language: str) -> None:
    from advice.models import TopicTranslation

    slugs = [slug for slug in Topic.VOICE_PROMPTS if slug.startswith("voice-reminder-")]
    assert len(slugs) == 9
    for slug in slugs:
        translation = TopicTranslation.objects.get(topic__slug=slug, language=language)
        assert translation.voice_text and translation.voice_text == translation.sms_text
