"""Phone numbers as Twilio sends them, turned into E.164 or recognised as not a phone number."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings


def to_e164(raw: str, *, region: str | None = None) -> str | None:
    """E.164 for a phone number ("+32 470 12 34 56", "0470123456" in Belgium), else None.

    Short codes ("8200"), alphanumeric sender IDs ("INFO") and impossible numbers give None:
    nobody can be answered there.
    """
    raw = raw.strip()
    if not raw or len(raw) > 40:
        return None
    return _to_e164(raw, (region or settings.PHONE_DEFAULT_REGION).upper())


# Every reply reads the number it answers from (a handful of our own numbers): parsing
# one costs 0.05-0.09 ms of CPU.
@lru_cache(maxsize=4096)
def _to_e164(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # Metadata lags behind new number ranges: trust a full international number that is at
    # least possible, as Twilio sends them.
    possible = raw.startswith("+") and phonenumbers.is_possible_number(number)
    if not phonenumbers.is_valid_number(number) and not possible:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def language_for_number(number: str) -> str | None:
    """The language of the number's country, from LANGUAGE_BY_COUNTRY_CODE, if it names one."""
    try:
        code = phonenumbers.parse(number, None).country_code
    except phonenumbers.NumberParseException:
        return None
    return _languages_by_country_code(settings.LANGUAGE_BY_COUNTRY_CODE).get(code or 0)


@lru_cache(maxsize=4)
def _languages_by_country_code(setting: str) -> dict[int, str]:
    pairs = (item.split(":") for item in setting.split(",") if item.strip())
    return {int(code): language for code, language in pairs}


def masked(number: str) -> str:
    """For log lines: +32470123456 -> +32470***456."""
    if len(number) < 8:
        return "***"
    return f"{number[:-6]}***{number[-3:]}"


# A phone number as it can appear in text: E.164 ("+32470123456", as Twilio quotes it in its
# error messages), URL-encoded ("%2B32470123456", in a request URL), or with "00" before the
# country code. Runs of digits without one of those (ids, times, SIDs) are left alone.
_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\+|%2[Bb]|00)[1-9][0-9]{6,14}(?![0-9])")


def mask_numbers(text: str) -> str:
    """Every phone number in `text` masked as `masked` does (Twilio's error texts, log lines)."""
    if "+" not in text and "%2" not in text and "00" not in text:
        return text
    return _NUMBER_IN_TEXT.sub(lambda found: _masked_found(found.group(0)), text)


def _masked_found(found: str) -> str:
    if found[:3] in ("%2B", "%2b"):
        return "%2B" + masked(found[3:])
    return masked(found)
