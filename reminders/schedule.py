"""Local times, as people text them and as clocks run: pure functions, no database.

- `parse_times` reads the times in a message in any of the four languages' habits:
  "8", "12:30", "8h30", "19h", "08.30", "8u30", "8 uur", "20 Uhr", "8am", "5:30 pm".
- `QuietHours` is the window in which nothing scheduled is sent (it may wrap midnight).
- `next_occurrence` finds a contact's next reminder after an instant, in their time zone:
  a time skipped by the spring-forward change goes out at the first valid minute after it;
  a time that occurs twice in autumn is resolved to its first occurrence only. Each
  occurrence is named by its local slot ("2026-03-29T02:30"), the key that makes it unique.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contacts.time_zones import is_time_zone

__all__ = ["is_time_zone"]

_NUMBER = re.compile(
    r"(?<![\w])(\d+(?:[:.hu]\d+)*[:.hu]?)(?:\s*(a\.?m\.?|p\.?m\.?)(?![a-z]))?",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2})(?:[:.hu](\d{2}))?[:.hu]?", re.IGNORECASE)
SLOT_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class ParsedTimes:
    times: tuple[time, ...]  # sorted, without duplicates
    invalid: tuple[str, ...]  # what looked like a time but is not one ("25", "8:75")


def parse_times(text: str) -> ParsedTimes:
    """The times of day in `text`; words around them ("REMIND", "at", "et", "uur") are ignored."""
    found: set[time] = set()
    invalid: list[str] = []
    for match in _NUMBER.finditer(text):
        raw, meridiem = match.group(1), (match.group(2) or "").lower().replace(".", "")
        parsed = _clock(raw, meridiem)
        if parsed is None:
            invalid.append(match.group(0).strip())
        else:
            found.add(parsed)
    return ParsedTimes(tuple(sorted(found)), tuple(invalid))


def _clock(raw: str, meridiem: str) -> time | None:
    match = _CLOCK.fullmatch(raw)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def format_time(value: time) -> str:
    return value.strftime("%H:%M")


def format_times(values: Iterable[time]) -> str:
    return ", ".join(format_time(v) for v in values)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, value: time) -> bool:
        """True inside the window: from `start` (included) to `end` (excluded), across midnight."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= value < self.end
        return value >= self.start or value < self.end

    def __str__(self) -> str:
        return f"{format_time(self.start)}-{format_time(self.end)}"


def quiet_hours_from_setting(value: str) -> QuietHours | None:
    """ "21:00-08:00" -> QuietHours(21:00, 08:00); None if malformed."""
    start, _, end = value.partition("-")
    try:
        return QuietHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    except ValueError:
        return None


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local wall time means in `zone`.

    A wall time that does not exist (skipped when clocks go forward) means the first valid
    minute after it; one that occurs twice (clocks go back) means the first occurrence.
    """
    wall = datetime.combine(day, at)
    for minutes in range(0, 24 * 60):
        candidate = (wall + timedelta(minutes=minutes)).replace(tzinfo=zone, fold=0)
        # A wall time exists if it survives a round trip through UTC.
        back = candidate.astimezone(UTC).astimezone(zone)
        if back.replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return candidate.astimezone(UTC)
    raise ValueError(f"no valid local time after {wall} in {zone}")  # pragma: no cover


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # UTC instant it is due
    slot: str  # local wall time it was chosen for, "YYYY-MM-DDTHH:MM": the unique key


def next_occurrence(times: Sequence[time], zone: ZoneInfo, *, after: datetime) -> Occurrence | None:
    """The first occurrence strictly after `after` (an aware instant), or None without times."""
    if not times:
        return None
    start_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(0, 4):
        day = start_day + timedelta(days=offset)
        for at in sorted(times):
            instant = local_instant(day, at, zone)
            if instant > after:
                return Occurrence(instant, datetime.combine(day, at).strftime(SLOT_FORMAT))
    raise ValueError("no occurrence within three days")  # pragma: no cover


def occurrences_between(times: Sequence[time], zone: ZoneInfo, *, after: datetime, until: datetime) -> list[Occurrence]:
    """Every occurrence in (after, until]: what a contact should receive in that span."""
    found: list[Occurrence] = []
    cursor = after
    while True:
        nxt = next_occurrence(times, zone, after=cursor)
        if nxt is None or nxt.at > until:
            return found
        found.append(nxt)
        cursor = nxt.at
