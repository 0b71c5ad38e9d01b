"""Time zones: whether a name is one, and the zone of a number or a contact. No model import at
run time: the settings read `is_time_zone` before the apps are loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from django.conf import settings
from django.utils import timezone
from phonenumbers import timezone as phone_time_zones

if TYPE_CHECKING:  # settings import this module (is_time_zone) before the apps are ready
    from contacts.models import Contact


def is_time_zone(name: str) -> bool:
    if name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone_for_number(phone_number: str) -> str:
    """The number's time zone when all the zones its range may be in keep one clock, else the default.

    A UK mobile may be in London, Guernsey, Jersey or the Isle of Man: four zones, one clock.
    A Russian or Australian mobile spans several clocks: the configured default it is.
    """
    try:
        number = phonenumbers.parse(phone_number, None)
    except phonenumbers.NumberParseException:
        return str(settings.REMINDER_DEFAULT_TIME_ZONE)
    zones = tuple(sorted(z for z in phone_time_zones.time_zones_for_number(number) if is_time_zone(z)))
    if zones and _keep_one_clock(zones):
        # The country's main zone reads best in a confirmation: London, not Guernsey.
        return next((z for z in zones if z in _MAIN_ZONES), zones[0])
    return str(settings.REMINDER_DEFAULT_TIME_ZONE)


_MAIN_ZONES = {"Europe/London"}


@lru_cache(maxsize=256)
def _keep_one_clock(zones: tuple[str, ...]) -> bool:
    """Whether these zones show the same local time at every hour of this year and the next."""
    if len(zones) == 1:
        return True
    start = datetime(timezone.now().year, 1, 1, tzinfo=UTC)
    instants = [start + timedelta(hours=hours) for hours in range(0, 2 * 366 * 24, 6)]
    first, *others = (zone(name) for name in zones)
    return all(
        all(instant.astimezone(other).utcoffset() == instant.astimezone(first).utcoffset() for other in others)
        for instant in instants
    )


def contact_zone(contact: Contact) -> ZoneInfo:
    """The contact's own zone if set (and valid), else the number's."""
    name = contact.time_zone if contact.time_zone and is_time_zone(contact.time_zone) else None
    return zone(name or time_zone_for_number(contact.phone_number))


def zone_city(key: str) -> str:
    """A time zone as readers know it, by its city: "America/New_York" -> "New York"."""
    return key.rsplit("/", 1)[-1].replace("_", " ")
