"""REMIND alone spreads each contact's default times over REMINDER_DEFAULT_SPREAD_MINUTES, so a
popular service does not make its own thundering herd at 09:00, 13:00 and 17:00."""

from __future__ import annotations

from collections import Counter
from datetime import time
from typing import Any

import pytest

from contacts.models import Contact
from reminders import services
from reminders.schedule import format_times
from tests.support.people import plan

pytestmark = pytest.mark.django_db

NUMBERS = [f"+3247{n:07d}" for n in range(0, 2000, 7)]


def minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def test_it_gives_each_number_the_same_offset_every_time() -> None:
    first = [services.spread_offset(number) for number in NUMBERS]
    again = [services.spread_offset(number) for number in NUMBERS]

    assert first == again
    assert services.spread_offset("+32470123456") == 5  # fixed: the tests' usual number


def test_it_spreads_to_the_minute_over_the_whole_window_and_no_further() -> None:
    offsets = Counter(services.spread_offset(number) for number in NUMBERS)

    assert min(offsets) == -10
    assert max(offsets) == 10
    assert set(offsets) == set(range(-10, 11))  # 08:50 to 09:10, every minute used
    assert max(offsets.values()) < 3 * len(NUMBERS) / 21  # no minute takes the crowd


def test_all_default_times_of_a_person_move_together(settings: Any) -> None:
    person = Contact(phone_number="+32470123456")

    assert format_times(services.default_times_for(person)) == "09:05, 13:05, 17:05"


def test_a_window_of_zero_keeps_the_exact_defaults(settings: Any) -> None:
    settings.REMINDER_DEFAULT_SPREAD_MINUTES = 0

    assert format_times(services.default_times_for(Contact(phone_number="+32470123456"))) == "09:00, 13:00, 17:00"


def test_a_spread_time_never_falls_in_the_quiet_hours(settings: Any) -> None:
    # Defaults at the very edges of the quiet hours (21:00-08:00): half the people would be
    # moved into them; they move the other way instead.
    settings.REMINDER_DEFAULT_TIMES = "08:00 20:59"
    quiet = services.quiet_hours()
    seen: set[time] = set()
    for number in NUMBERS:
        offset = services.spread_offset(number)
        morning, evening = services.default_times_for(Contact(phone_number=number))
        assert not quiet.contains(morning) and not quiet.contains(evening)
        assert minutes(morning) == 8 * 60 + abs(offset)
        assert minutes(evening) == 20 * 60 + 59 - abs(offset)
        seen |= {morning, evening}
    assert time(8, 10) in seen and time(20, 49) in seen


def test_remind_alone_stores_and_confirms_the_spread_times(text: Any) -> None:
    reply = text("REMIND", sender="+32470000007")
    expected = services.default_times_for(Contact(phone_number="+32470000007"))

    assert expected != (time(9), time(13), time(17))
    assert plan(Contact.objects.get(phone_number="+32470000007")).reminder_times == [
        at.strftime("%H:%M") for at in expected
    ]
    assert f"at {format_times(expected)} (Belgian time)" in reply.body


def test_times_a_person_chooses_stay_exact(text: Any) -> None:
    reply = text("REMIND 9 13 17")

    assert plan(Contact.objects.get(phone_number="+32470123456")).reminder_times == ["09:00", "13:00", "17:00"]
    assert "at 09:00, 13:00, 17:00 (Belgian time)" in reply.body


def test_remind_alone_keeps_times_already_chosen(text: Any) -> None:
    text("REMIND 9 17")
    reply = text("REMIND")

    assert plan(Contact.objects.get(phone_number="+32470123456")).reminder_times == ["09:00", "17:00"]
    assert "at 09:00, 17:00 (Belgian time)" in reply.body
