"""Times as people text them, quiet hours, and local time across daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reminders.schedule import QuietHours, next_occurrence, occurrences_between, parse_times

BRUSSELS = ZoneInfo("Europe/Brussels")


def t(value: str) -> time:
    return time.fromisoformat(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English
        ("REMIND 8 12:30 17", ["08:00", "12:30", "17:00"]),
        ("REMIND 8am 5:30pm", ["08:00", "17:30"]),
        ("remind me at 9 a.m. and 6 p.m.", ["09:00", "18:00"]),
        ("REMIND 12pm 11 AM", ["11:00", "12:00"]),
        # French
        ("RAPPEL 8h30 19h", ["08:30", "19:00"]),
        ("rappel à 9H et 13h15", ["09:00", "13:15"]),
        # Dutch
        ("HERINNER 08.30", ["08:30"]),
        ("herinner mij om 8u30 en 17 uur", ["08:30", "17:00"]),
        ("HERINNER 9u 20u", ["09:00", "20:00"]),
        # German
        ("ERINNERUNG 8:30 20 Uhr", ["08:30", "20:00"]),
        ("Erinnerung 7.45, 12.00 und 18.15 Uhr", ["07:45", "12:00", "18:15"]),
        # Alone, duplicated, unordered
        ("REMIND", []),
        ("REMIND 17 8 17:00", ["08:00", "17:00"]),
    ],
)
def test_times_are_read_as_people_write_them(text: str, expected: list[str]) -> None:
    parsed = parse_times(text)
    assert [at.strftime("%H:%M") for at in parsed.times] == expected
    assert parsed.invalid == ()


@pytest.mark.parametrize(
    ("text", "invalid"),
    [
        ("REMIND 25", ("25",)),
        ("RAPPEL 8h75", ("8h75",)),
        ("REMIND 13pm", ("13pm",)),
        ("REMIND 8.5", ("8.5",)),
        ("HERINNER 830", ("830",)),
        ("REMIND 8 99", ("99",)),
    ],
)
def test_what_is_not_a_time_is_reported_not_guessed(text: str, invalid: tuple[str, ...]) -> None:
    assert parse_times(text).invalid == invalid


def test_quiet_hours_wrap_midnight() -> None:
    quiet = QuietHours(t("21:00"), t("08:00"))
    assert quiet.contains(t("21:00"))
    assert quiet.contains(t("23:59"))
    assert quiet.contains(t("00:00"))
    assert quiet.contains(t("07:59"))
    assert not quiet.contains(t("08:00"))
    assert not quiet.contains(t("20:59"))


def test_quiet_hours_within_one_day_and_none() -> None:
    assert QuietHours(t("12:00"), t("14:00")).contains(t("13:00"))
    assert not QuietHours(t("12:00"), t("14:00")).contains(t("14:00"))
    assert not QuietHours(t("00:00"), t("00:00")).contains(t("03:00"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_next_occurrence_is_local_time_in_brussels_winter_and_summer() -> None:
    winter = next_occurrence([t("09:00")], BRUSSELS, after=utc(2026, 11, 24, 6, 0))
    assert winter is not None
    assert winter.at == utc(2026, 11, 24, 8, 0)  # UTC+1
    assert winter.slot == "2026-11-24T09:00"
    summer = next_occurrence([t("09:00")], BRUSSELS, after=utc(2026, 7, 1, 6, 0))
    assert summer is not None
    assert summer.at == utc(2026, 7, 1, 7, 0)  # UTC+2


def test_next_occurrence_rolls_to_the_next_day_after_the_last_time() -> None:
    found = next_occurrence([t("09:00"), t("17:00")], BRUSSELS, after=utc(2026, 11, 24, 16, 0))
    assert found is not None
    assert found.slot == "2026-11-25T09:00"


def test_spring_forward_sends_a_skipped_time_at_the_first_valid_minute() -> None:
    # 29 March 2026, last Sunday of March: Brussels clocks jump from 02:00 to 03:00.
    found = next_occurrence([t("02:30")], BRUSSELS, after=utc(2026, 3, 28, 23, 0))
    assert found is not None
    assert found.slot == "2026-03-29T02:30"
    assert found.at == utc(2026, 3, 29, 1, 0)  # 03:00 local, summer time
    assert found.at.astimezone(BRUSSELS).strftime("%H:%M") == "03:00"
    # A time after the gap is not affected, and the next day is normal again.
    day = occurrences_between(
        [t("02:30"), t("03:30")], BRUSSELS, after=utc(2026, 3, 28, 23, 0), until=utc(2026, 3, 30, 23, 0)
    )
    assert [(o.slot, o.at.astimezone(BRUSSELS).strftime("%H:%M")) for o in day] == [
        ("2026-03-29T02:30", "03:00"),
        ("2026-03-29T03:30", "03:30"),
        ("2026-03-30T02:30", "02:30"),
        ("2026-03-30T03:30", "03:30"),
    ]


def test_fall_back_sends_a_repeated_time_once() -> None:
    # 25 October 2026, last Sunday of October: 02:00-03:00 happens twice in Brussels.
    found = occurrences_between(
        [t("02:30"), t("09:00")], BRUSSELS, after=utc(2026, 10, 24, 22, 0), until=utc(2026, 10, 25, 23, 0)
    )
    assert [o.slot for o in found] == ["2026-10-25T02:30", "2026-10-25T09:00"]
    assert found[0].at == utc(2026, 10, 25, 0, 30)  # the first 02:30 (summer time)
    assert found[1].at == utc(2026, 10, 25, 8, 0)  # 09:00 winter time


def test_a_contact_in_another_zone_gets_their_own_local_time() -> None:
    new_york = ZoneInfo("America/New_York")
    found = next_occurrence([t("08:00")], new_york, after=utc(2026, 11, 24, 12, 0))
    assert found is not None
    assert found.at == utc(2026, 11, 24, 13, 0)  # 08:00 EST
    # New York changes clocks on other days than Brussels: 8 March 2026.
    before, after = occurrences_between(
        [t("08:00")], new_york, after=utc(2026, 3, 7, 0, 0), until=utc(2026, 3, 8, 23, 0)
    )
    assert before.at == utc(2026, 3, 7, 13, 0)  # EST
    assert after.at == utc(2026, 3, 8, 12, 0)  # EDT
    assert after.slot == "2026-03-08T08:00"


def test_no_times_no_occurrence() -> None:
    assert next_occurrence([], BRUSSELS, after=utc(2026, 1, 1, 0, 0)) is None
