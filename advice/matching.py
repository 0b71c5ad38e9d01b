"""Understanding a text message the way people type it.

Words are compared after folding case, accents and punctuation (advice.text). A message's
first words are tried first, then any later word that names a topic ("ik heb kramp").
Three tiers, best first:

1. exact: the folded word is a keyword;
2. variant: a plural or a German umlaut spelt out ("crampes", "krampen", "KRAEMPFE");
3. typo: one letter inserted, dropped, changed or swapped, in words of five letters or more
   ("CRMAP"). Never for STOP, START or a language switch: "CANCER" is one letter from
   "CANCEL", and a false opt-out silently cuts someone off. Unmatched, such a message gets
   the menu, which says how to stop.

Where a word belongs to several languages, the number's own language wins, then the
languages' configured priority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum

from advice.text import words

MAX_PHRASE_WORDS = 3
TYPO_MIN_LENGTH = 5
_PLURAL_SUFFIXES = ("es", "en", "s", "n", "e")
_MIN_STEM = 3


class Tier(IntEnum):
    EXACT = 0
    VARIANT = 1
    TYPO = 2


@dataclass(frozen=True)
class KeywordEntry:
    word: str  # folded, as stored in Keyword.normalized
    language: str
    action: str  # a Keyword.Action value
    topic: str | None = None  # topic slug
    target_language: str | None = None


@dataclass(frozen=True)
class Match:
    action: str
    language: str  # the language of the word that matched
    topic: str | None = None
    target_language: str | None = None
    word: str = ""
    tier: Tier = Tier.EXACT


# A false PAUSE silently stops someone's reminders, as a false STOP stops everything.
_NO_TYPOS = {"stop", "start", "language", "pause"}
_WHOLE_MESSAGE_ONLY = "language"  # "EN", "FRANCAIS", "TAAL FR": never the start of a sentence


def variants(word: str) -> Iterator[str]:
    """Spellings of one word that mean the same keyword: plurals, umlauts spelt out."""
    seen = {word}
    spelt_out = word.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    for base in dict.fromkeys((word, spelt_out)):
        if base not in seen:
            seen.add(base)
            yield base
        for suffix in _PLURAL_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= _MIN_STEM:
                stem = base[: -len(suffix)]
                if stem not in seen:
                    seen.add(stem)
                    yield stem


def is_one_typo_apart(a: str, b: str) -> bool:
    """Optimal string alignment distance of exactly one (transpositions count once)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class KeywordIndex:
    def __init__(self, entries: Iterable[KeywordEntry], language_priority: list[str]) -> None:
        self.language_priority = list(language_priority)
        self.exact: dict[str, list[KeywordEntry]] = defaultdict(list)
        self.variant: dict[str, list[KeywordEntry]] = defaultdict(list)
        self.typo_candidates: list[KeywordEntry] = []
        for entry in entries:
            self.exact[entry.word].append(entry)
            for spelling in variants(entry.word):
                self.variant[spelling].append(entry)
            if len(entry.word) >= TYPO_MIN_LENGTH and " " not in entry.word and entry.action not in _NO_TYPOS:
                self.typo_candidates.append(entry)
        for code in self.language_priority:
            # A language's own code, texted alone, switches to it ("NL", "FR").
            self.exact[code].append(KeywordEntry(code, code, "language", target_language=code))

    def match(self, text: str, preferred_language: str | None = None) -> Match | None:
        tokens = words(text)
        if not tokens:
            return None
        opening = self._match_opening(tokens, preferred_language)
        if opening is not None:
            return opening
        return self._match_later_word(tokens[1:], preferred_language)

    def _match_opening(self, tokens: list[str], preferred: str | None) -> Match | None:
        for length in range(min(MAX_PHRASE_WORDS, len(tokens)), 0, -1):
            phrase = " ".join(tokens[:length])
            rest = tokens[length:]
            found = self._lookup(phrase, allow_typo=length == 1)
            for tier, entries in found:
                usable = [e for e in entries if self._usable_opening(e, rest)]
                if usable:
                    entry = self._prefer(usable, preferred)
                    return self._to_match(entry, tier, rest, preferred)
        return None

    def _match_later_word(self, tokens: list[str], preferred: str | None) -> Match | None:
        menu: Match | None = None
        for token in tokens:
            for tier, entries in self._lookup(token, allow_typo=False):
                topics = [e for e in entries if e.action == "topic"]
                if topics:
                    return self._to_match(self._prefer(topics, preferred), tier, [], preferred)
                menus = [e for e in entries if e.action == "menu"]
                if menus and menu is None:
                    menu = self._to_match(self._prefer(menus, preferred), tier, [], preferred)
        return menu

    def _lookup(self, phrase: str, *, allow_typo: bool) -> Iterator[tuple[Tier, list[KeywordEntry]]]:
        if phrase in self.exact:
            yield Tier.EXACT, self.exact[phrase]
        # A plural of a keyword ("cramps" -> CRAMP) before two words that share a stem
        # ("cramps" and CRAMPE both give "cramp").
        spellings = list(variants(phrase))
        plural_of = [entry for spelling in spellings for entry in self.exact.get(spelling, [])]
        if plural_of:
            yield Tier.VARIANT, list(dict.fromkeys(plural_of))
        same_stem = [entry for spelling in [phrase, *spellings] for entry in self.variant.get(spelling, [])]
        if same_stem:
            yield Tier.VARIANT, list(dict.fromkeys(same_stem))
        if allow_typo and len(phrase) >= TYPO_MIN_LENGTH:
            close = [e for e in self.typo_candidates if is_one_typo_apart(phrase, e.word)]
            if close:
                yield Tier.TYPO, close

    def _usable_opening(self, entry: KeywordEntry, rest: list[str]) -> bool:
        if entry.action != _WHOLE_MESSAGE_ONLY:
            return True
        if entry.target_language is not None:
            return not rest
        # "TAAL", "LANGUE": alone, or followed by exactly one language.
        return len(rest) <= 1

    def _to_match(self, entry: KeywordEntry, tier: Tier, rest: list[str], preferred: str | None) -> Match:
        target = entry.target_language
        if entry.action == "language" and target is None and rest:
            target = self._language_named(rest[0], preferred)
        return Match(
            action=entry.action,
            language=entry.language,
            topic=entry.topic,
            target_language=target,
            word=entry.word,
            tier=tier,
        )

    def _language_named(self, word: str, preferred: str | None) -> str | None:
        for _tier, entries in self._lookup(word, allow_typo=False):
            named = [e for e in entries if e.action == "language" and e.target_language]
            if named:
                return self._prefer(named, preferred).target_language
        return None

    def _prefer(self, entries: list[KeywordEntry], preferred: str | None) -> KeywordEntry:
        def rank(entry: KeywordEntry) -> tuple[int, int]:
            order = (
                self.language_priority.index(entry.language)
                if entry.language in self.language_priority
                else len(self.language_priority)
            )
            return (0 if entry.language == preferred else 1, order)

        return min(entries, key=rank)
