"""Subscribing, changing, pausing and resuming reminders by SMS, in four languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from advice.models import Topic, TopicTranslation
from contacts.models import Contact
from tests.support.people import plan

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


def contact(number: str = "+32470123456") -> Contact:
    return Contact.objects.get(phone_number=number)


def test_remind_alone_subscribes_at_the_default_times_and_confirms_them(text: Any) -> None:
    reply = text("REMIND")

    # This number's place in REMINDER_DEFAULT_SPREAD_MINUTES: five minutes after each default.
    assert reply.body == (
        "Reminders on: you will get a short reminder at 09:05, 13:05, 17:05 (Belgian time). To change the times, "
        "text REMIND and new times, such as REMIND 9 12:30 17. PAUSE to pause, STOP to stop.\n"
        "We store your number. Text FORGET to erase it."
    )
    person = contact()
    assert plan(person).reminder_times == ["09:05", "13:05", "17:05"]
    assert person.time_zone == "Europe/Brussels"
    assert plan(person).next_reminder_at is not None
    assert plan(person).next_reminder_at > timezone.now()


@pytest.mark.parametrize(
    ("body", "times", "confirmation"),
    [
        (
            "REMIND 8 12:30 17",
            ["08:00", "12:30", "17:00"],
            "Reminders on: you will get a short reminder at 08:00, 12:30",
        ),
        ("REMIND 8am 5:30pm", ["08:00", "17:30"], "Reminders on:"),
        ("RAPPEL 8h30 19h", ["08:30", "19:00"], "Rappels activés : vous recevrez un court rappel à 08:30, 19:00"),
        (
            "HERINNER 08.30",
            ["08:30"],
            "Herinneringen ingeschakeld: u krijgt een korte herinnering om 08:30 (Belgische tijd)",
        ),
        ("herinner mij om 8u30 en 17 uur", ["08:30", "17:00"], "Herinneringen ingeschakeld:"),
        ("ERINNERUNG 8:30 20 Uhr", ["08:30", "20:00"], "Erinnerungen aktiv: Sie erhalten um 08:30, 20:00"),
    ],
)
def test_times_in_each_language_are_set_and_confirmed_in_that_language(
    text: Any, body: str, times: list[str], confirmation: str
) -> None:
    reply = text(body)

    assert reply.body.startswith(confirmation)
    assert plan(contact()).reminder_times == times


def test_the_same_keyword_with_new_times_changes_them(text: Any) -> None:
    text("REMIND 9 17")
    reply = text("REMIND 10:15")

    assert plan(contact()).reminder_times == ["10:15"]
    assert "10:15 (Belgian time)" in reply.body


def test_a_time_in_the_quiet_hours_is_refused_with_a_clear_reply(text: Any) -> None:
    text("REMIND 9 17")
    reply = text("REMIND 7 22:30 12")

    assert reply.body == (
        "No reminders are sent between 21:00 and 08:00, so 07:00, 22:30 cannot be used. Text REMIND and other "
        "times, such as REMIND 9 12:30 17."
    )
    assert plan(contact()).reminder_times == ["09:00", "17:00"]  # unchanged


def test_quiet_hours_refusal_in_french(text: Any) -> None:
    reply = text("RAPPEL 23h")

    assert reply.body.startswith("Aucun rappel n'est envoyé entre 21:00 et 08:00, donc 23:00 n'est pas possible.")
    assert plan(contact()).reminder_times == []


def test_what_is_not_a_time_is_answered_not_guessed(text: Any) -> None:
    reply = text("HERINNER 25u")

    assert reply.body == (
        "Sorry, 25u is geen uur dat ik begrijp. Stuur HERINNER en de uren, bv. HERINNER 9 12u30 17.\n"
        "We bewaren uw nummer. Wissen: stuur VERGEET MIJ."  # the first reply to this number
    )
    assert plan(contact()).reminder_times == []


def test_too_many_times_are_refused(text: Any) -> None:
    reply = text("REMIND 8 9 10 11 12 13 14")

    assert reply.body.startswith("At most 6 reminders a day.")
    assert plan(contact()).reminder_times == []


def test_pause_stops_reminders_until_resume(text: Any) -> None:
    text("REMIND 9 17")
    paused = text("PAUSE")

    assert paused.body == "Reminders paused. Text RESUME to get them again."
    person = contact()
    assert plan(person).is_paused()
    assert plan(person).next_reminder_at is None

    resumed = text("RESUME")
    assert resumed.body.startswith("Reminders on: you will get a short reminder at 09:00, 17:00")
    person = contact()
    assert not plan(person).is_paused()
    assert plan(person).next_reminder_at is not None


def test_pause_for_some_days_resumes_by_itself_at_local_midnight(text: Any) -> None:
    text("HERINNER 9 17")
    reply = text("PAUZE 3")

    person = contact()
    resume_day = (timezone.now().astimezone(BRUSSELS).date() + timedelta(days=3)).strftime("%d/%m/%Y")
    assert reply.body == f"Herinneringen gepauzeerd tot {resume_day}. Stuur HERVAT om ze eerder te krijgen."
    assert plan(person).paused_until.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M") == f"{resume_day} 00:00"
    assert plan(person).next_reminder_at is not None
    local = plan(person).next_reminder_at.astimezone(BRUSSELS)
    assert local.strftime("%d/%m/%Y %H:%M") == f"{resume_day} 09:00"


def test_start_while_paused_resumes(text: Any) -> None:
    text("RAPPEL 9h")
    text("PAUSE")
    reply = text("REPRENDRE")

    assert reply.body.startswith("Rappels activés")
    assert not plan(contact()).is_paused()


def test_pause_or_resume_without_reminders_says_how_to_get_them(text: Any) -> None:
    text("HELP")  # an English number (PAUSE alone is also French and German)
    reply = text("PAUSE")

    assert reply.body == (
        "You have no reminders. Text REMIND to get one at 09:05, 13:05, 17:05, or REMIND and your own times."
    )


def test_pause_is_never_guessed_from_a_typo(text: Any) -> None:
    text("REMIND 9")
    text("PAUZE")  # Dutch word: fine
    text("RESUME")
    reply = text("PASUE")

    assert not plan(contact()).is_paused()
    assert reply.body.startswith("Leg cramp advice")


def test_stop_stops_reminders_and_start_brings_them_back(text: Any) -> None:
    text("REMIND 9 17")
    text("STOP")
    assert plan(contact()).next_reminder_at is None

    text("START")
    person = contact()
    assert plan(person).reminder_times == ["09:00", "17:00"]
    assert plan(person).next_reminder_at is not None


def test_time_zone_comes_from_the_number_s_country(text: Any) -> None:
    reply = text("REMIND 8", sender="+12125550123")  # New York

    person = contact("+12125550123")
    assert person.time_zone == "America/New_York"
    assert "(New York)" in reply.body
    assert plan(person).next_reminder_at.astimezone(UTC).strftime("%H:%M") in {"12:00", "13:00"}  # EDT or EST


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("REMIND 9", "09:00 (Belgian time)"),
        ("HERINNER 9", "09:00 (Belgische tijd)"),
        ("RAPPEL 9h", "09:00 (heure belge)"),
        ("ERINNERUNG 9", "09:00 (belgische Zeit)"),
    ],
)
def test_the_home_zone_is_named_in_the_readers_language_never_by_its_iana_id(text: Any, body: str, label: str) -> None:
    reply = text(body)

    assert label in reply.body
    assert "Europe/" not in reply.body


def test_another_zone_is_named_by_its_city(text: Any) -> None:
    reply = text("RAPPEL 9h", sender="+33612345678")

    assert contact("+33612345678").time_zone == "Europe/Paris"
    assert "09:00 (Paris)" in reply.body


def test_without_a_home_zone_text_in_that_language_the_city_is_named(text: Any) -> None:
    TopicTranslation.objects.filter(topic__slug=Topic.ZONE_LOCAL, language="de").delete()

    reply = text("ERINNERUNG 9")

    assert "09:00 (Brussels)" in reply.body  # not "Belgian time" in a German sentence


def test_a_country_with_several_clocks_gets_the_default(text: Any) -> None:
    text("REMIND 8", sender="+61412345678")  # an Australian mobile: Perth to Sydney

    assert contact("+61412345678").time_zone == "Europe/Brussels"


def test_a_uk_mobile_runs_on_london_time(text: Any) -> None:
    # London, Guernsey, Jersey and the Isle of Man: four zones that keep one clock.
    reply = text("REMIND 8", sender="+447911123456")

    assert contact("+447911123456").time_zone == "Europe/London"
    assert "08:00 (London)" in reply.body


def test_an_emoji_and_a_long_message_with_times_are_handled(text: Any) -> None:
    reply = text("REMIND 9 🥤 " + "please " * 200 + "17")

    assert plan(contact()).reminder_times == ["09:00", "17:00"]
    assert reply.body.startswith("Reminders on")


def test_the_menu_mentions_reminders(text: Any) -> None:
    assert "REMIND - reminders" in text("HELP").body
    assert "HERINNER - herinneringen" in text("HULP", sender="+32470000001").body


def test_next_reminder_is_the_next_local_time(text: Any) -> None:
    text("REMIND 9")
    person = contact()

    assert plan(person).next_reminder_at > datetime.now(UTC)
    assert plan(person).next_reminder_at - datetime.now(UTC) <= timedelta(days=1)
    assert plan(person).next_reminder_at.astimezone(BRUSSELS).strftime("%H:%M") == "09:00"
    assert plan(person).next_reminder_slot == plan(person).next_reminder_at.astimezone(BRUSSELS).strftime(
        "%Y-%m-%dT%H:%M"
    )
