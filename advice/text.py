"""Folding what people type into comparable words: case, accents, punctuation, spacing."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Letters that NFKD does not decompose into a base letter and an accent.
_SPECIAL_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})


def normalize_text(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "  KRÄMPFE!! " -> "krampfe"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_LETTERS))
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", without_accents).strip()


def words(text: str) -> list[str]:
    return normalize_text(text).split()
