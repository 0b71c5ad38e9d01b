"""SMS text as sent: one renderer for every outgoing text, placeholder filling, and GSM-7 /
UCS-2 segment arithmetic. Pure text arithmetic: measuring and rendering content is the
content's own concern, so the admin (which shows a text's size as you type), the senders
and the cost table all use this module.

A single character outside GSM-7 makes the whole message UCS-2: 70 characters per segment
instead of 160, so a curly quote pasted from a word processor can triple a message's cost.
`render_sms_text` replaces such punctuation (never letters: "ç" stays "ç") and tidies spaces.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")

_PUNCTUATION = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (French typography before ; : ! ?)
        "\u2009": " ",  # thin space
        "\u2007": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": "'",
        "\u203a": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",  # bullet
        "\u2026": "...",
        "\u00b4": "'",
        "\u0060": "'",
        "\u200b": "",  # zero-width space
        "\ufeff": "",
    }
)
_SPACES = re.compile(r"[ \t]+")
_SPACE_BEFORE_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    characters: int
    segments: int


def render_sms_text(text: str) -> str:
    """The exact text to send: GSM-friendly punctuation, single spaces, trimmed lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_PUNCTUATION)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


_GSM7 = frozenset(GSM7_BASIC | GSM7_EXTENDED)


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def sms_size(text: str) -> SmsSize:
    # Set and str.count work in C: every outgoing row is measured (a reply, a wave of reminders).
    if is_gsm7(text):
        units = len(text) + sum(text.count(char) for char in GSM7_EXTENDED)  # an extended character is two
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # an emoji is two code units
        single, part = 70, 67
        encoding = "UCS-2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsSize(encoding=encoding, units=units, characters=len(text), segments=segments if units else 0)


def split_segments(text: str) -> list[str]:
    """The parts a phone receives, as the network splits them (an escape pair or an emoji is never cut)."""
    size = sms_size(text)
    if size.segments <= 1:
        return [text] if text else []
    gsm = size.encoding == "GSM-7"
    part = 153 if gsm else 67
    parts: list[str] = []
    current, used = "", 0
    for char in text:
        cost = (2 if char in GSM7_EXTENDED else 1) if gsm else len(char.encode("utf-16-le")) // 2
        if used + cost > part:
            parts.append(current)
            current, used = "", 0
        current += char
        used += cost
    parts.append(current)
    return parts


UNFILLED_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def fill_placeholders(text: str, params: Mapping[str, str]) -> str:
    """Put the values into a service message's {placeholders}; other braces stay as written."""
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text
