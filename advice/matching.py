"""Understanding a text message the way people type it.

Words are compared after folding case, accents and punctuation (advice.text). Three tiers
of likeness, best first:

1. exact: the folded words are a keyword;
2. variant: a plural or a German umlaut spelt out ("crampes", "krampen", "KRAEMPFE");
3. typo: one letter inserted, dropped, changed or swapped, in a first word of five letters
   or more ("CRMAP").

What a message does, tried in this order:

1. The whole message is a keyword, exactly ("STOP", "stop.", "Arrêt !", "TAAL FR", "Info").
   This is the only way to stop, start, resume or switch language, as with Twilio's own
   opt-out: "Stop statins?" and "Quite painful cramps" (QUITE is QUIT plus an e) opt nobody
   out. Words marked "whole message only" (QUELLE is German for source and French for
   which) also count only here.
2. A message that opens with a reminder word takes what follows as times ("REMIND 8 17");
   PAUSE takes only a number of days ("PAUSE 7").
3. Topics named anywhere in the message, the specific before the general: the cramp topic
   is the service's subject, so "Hoe kan ik krampen voorkomen?" is about prevention and
   "Krampf beim Arzt?" about the doctor.
4. A menu word anywhere ("help").

No control action (stop, start, language, pause, resume, reminders) ever comes from a
variant or a typo: "CANCER" is one letter from "CANCEL", "Weitere" is WEITER plus an e, and
a false opt-out or pause silently cuts someone off. Unmatched, a message gets the menu,
which says how to stop.

Where a word belongs to several languages, the preferred language wins (the number's own,
or for a new number its country's), then the languages' configured priority.
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

# Keyword.Action values, spelt out here so that matching stays free of the ORM.
TOPIC, MENU, STOP, START, LANGUAGE, REMIND, PAUSE, RESUME, FORGET = (
    "topic",
    "menu",
    "stop",
    "start",
    "language",
    "remind",
    "pause",
    "resume",
    "forget",
)
# Words that say how reminders go out, read only after a reminder word ("REMIND CALL 9:30",
# "HERINNER SMS"): never a message's meaning by themselves.
BY_CALL, BY_SMS = "by-call", "by-sms"
REMINDER_CHANNELS = {BY_CALL: "voice", BY_SMS: "sms"}
# Actions that change what a person receives: exact words only, never a variant or a typo.
CONTROL_ACTIONS = frozenset({STOP, START, LANGUAGE, REMIND, PAUSE, RESUME, FORGET, BY_CALL, BY_SMS})
# Actions that only the whole message can ask for.
# FORGET erases everything about a number: never from a word inside a sentence.
WHOLE_MESSAGE_ACTIONS = frozenset({STOP, START, LANGUAGE, RESUME, FORGET})


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
    whole_message_only: bool = False
    general: bool = False  # the topic names the service's subject: any other topic wins


@dataclass(frozen=True)
class Match:
    action: str
    language: str  # the language of the word that matched
    topic: str | None = None
    target_language: str | None = None
    word: str = ""
    tier: Tier = Tier.EXACT


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


def _is_days(token: str) -> bool:
    # ASCII digits only: "²" folds to "2" elsewhere, but is nobody's number of days.
    return token.isascii() and token.isdigit()


class KeywordIndex:
    def __init__(self, entries: Iterable[KeywordEntry], language_priority: list[str]) -> None:
        self.language_priority = list(language_priority)
        self.exact: dict[str, list[KeywordEntry]] = defaultdict(list)
        self.variant: dict[str, list[KeywordEntry]] = defaultdict(list)
        self.typo_candidates: list[KeywordEntry] = []
        for entry in entries:
            self.exact[entry.word].append(entry)
            if entry.action in CONTROL_ACTIONS:
                continue  # never reached through a plural or a typo
            for spelling in variants(entry.word):
                self.variant[spelling].append(entry)
            if len(entry.word) >= TYPO_MIN_LENGTH and " " not in entry.word:
                self.typo_candidates.append(entry)
        for code in self.language_priority:
            # A language's own code, texted alone, switches to it ("NL", "FR").
            self.exact[code].append(KeywordEntry(code, code, LANGUAGE, target_language=code))

    def match(self, text: str, preferred_language: str | None = None) -> Match | None:
        tokens = words(text)
        if not tokens:
            return None
        preferred_language = preferred_language or self._language_hint(tokens)
        return (
            self._match_whole_message(tokens, preferred_language)
            or self._match_opening_command(tokens, preferred_language)
            or self._match_topic(tokens, preferred_language)
            or self._match_menu(tokens, preferred_language)
        )

    def _language_hint(self, tokens: list[str]) -> str | None:
        """The language of the first word only one language has, for a message from a new number.

        "Is magnesium good for cramps?": MAGNESIUM is in every language, CRAMPS only in English.
        Language codes and names are left out ("de" is Dutch and French for "the").
        """
        for token in tokens:
            for _tier, entries in self._lookup(token, allow_typo=False):
                languages = {e.language for e in entries if e.action in (TOPIC, MENU) and not e.whole_message_only}
                if len(languages) == 1:
                    return languages.pop()
                if languages:
                    break
        return None

    def _match_whole_message(self, tokens: list[str], preferred: str | None) -> Match | None:
        whole = " ".join(tokens)
        entries = [e for e in self.exact.get(whole, []) if e.action not in REMINDER_CHANNELS]
        if entries:
            return self._to_match(self._prefer(entries, preferred), Tier.EXACT)
        # "TAAL FR", "LANGUE NEERLANDAIS": a language word, then the language it names.
        for length in range(1, min(MAX_PHRASE_WORDS, len(tokens) - 1) + 1):
            prefixes = [e for e in self.exact.get(" ".join(tokens[:length]), []) if self._is_language_prefix(e)]
            rest = tokens[length:]
            target = self._language_named(" ".join(rest), preferred) if prefixes else None
            if target is not None:
                entry = self._prefer(prefixes, preferred)
                return Match(LANGUAGE, entry.language, target_language=target, word=entry.word)
        return None

    def _match_opening_command(self, tokens: list[str], preferred: str | None) -> Match | None:
        for length in range(min(MAX_PHRASE_WORDS, len(tokens)), 0, -1):
            rest = tokens[length:]
            usable = [
                e
                for e in self.exact.get(" ".join(tokens[:length]), [])
                if not e.whole_message_only
                and (e.action == REMIND or (e.action == PAUSE and len(rest) == 1 and _is_days(rest[0])))
            ]
            if usable:
                return self._to_match(self._prefer(usable, preferred), Tier.EXACT)
        return None

    def reminder_channel(self, text: str) -> str | None:
        """How a reminder message asks to be reminded: "voice" (REMIND CALL 9:30, HERINNER MIJ
        BELLEN), "sms" (REMIND SMS), or None (not said, or not a reminder message).

        The channel word is looked for after the opening reminder word only, exactly (or as
        a phrase of up to three words): a word elsewhere never changes how anyone is reached.
        """
        tokens = words(text)
        opening = self._opening_command_length(tokens)
        if opening is None:
            return None
        rest = tokens[opening:]
        for position in range(len(rest)):
            for length in range(min(MAX_PHRASE_WORDS, len(rest) - position), 0, -1):
                phrase = " ".join(rest[position : position + length])
                for entry in self.exact.get(phrase, []):
                    if entry.action in REMINDER_CHANNELS:
                        return REMINDER_CHANNELS[entry.action]
        return None

    def _opening_command_length(self, tokens: list[str]) -> int | None:
        """How many words the opening reminder word has ("REMIND ME" 2), if the message opens with one."""
        for length in range(min(MAX_PHRASE_WORDS, len(tokens)), 0, -1):
            if any(
                e.action == REMIND and not e.whole_message_only for e in self.exact.get(" ".join(tokens[:length]), [])
            ):
                return length
        return None

    def _match_topic(self, tokens: list[str], preferred: str | None) -> Match | None:
        general: Match | None = None
        for entries, tier in self._phrases(tokens, TOPIC):
            entry = self._prefer(entries, preferred)
            if not entry.general:
                return self._to_match(entry, tier)
            general = general or self._to_match(entry, tier)
        return general

    def _match_menu(self, tokens: list[str], preferred: str | None) -> Match | None:
        for entries, tier in self._phrases(tokens, MENU):
            return self._to_match(self._prefer(entries, preferred), tier)
        return None

    def _phrases(self, tokens: list[str], action: str) -> Iterator[tuple[list[KeywordEntry], Tier]]:
        """Keywords with this action named in the message, in reading order, longest phrase first."""
        position = 0
        while position < len(tokens):
            found = False
            for length in range(min(MAX_PHRASE_WORDS, len(tokens) - position), 0, -1):
                phrase = " ".join(tokens[position : position + length])
                # A typo only of a first word that is no keyword itself: PAUSE is not CAUSE.
                allow_typo = position == 0 and length == 1 and phrase not in self.exact
                for tier, entries in self._lookup(phrase, allow_typo=allow_typo):
                    usable = [e for e in entries if e.action == action and not e.whole_message_only]
                    if usable:
                        yield usable, tier
                        found = True
                        break
                if found:
                    position += length
                    break
            if not found:
                position += 1

    def _lookup(self, phrase: str, *, allow_typo: bool) -> Iterator[tuple[Tier, list[KeywordEntry]]]:
        if phrase in self.exact:
            yield Tier.EXACT, self.exact[phrase]
        # A plural of a keyword ("cramps" -> CRAMP) before two words that share a stem
        # ("cramps" and CRAMPE both give "cramp").
        spellings = list(variants(phrase))
        plural_of = [
            entry
            for spelling in spellings
            for entry in self.exact.get(spelling, [])
            if entry.action not in CONTROL_ACTIONS
        ]
        if plural_of:
            yield Tier.VARIANT, list(dict.fromkeys(plural_of))
        same_stem = [entry for spelling in [phrase, *spellings] for entry in self.variant.get(spelling, [])]
        if same_stem:
            yield Tier.VARIANT, list(dict.fromkeys(same_stem))
        if allow_typo and len(phrase) >= TYPO_MIN_LENGTH:
            close = [e for e in self.typo_candidates if is_one_typo_apart(phrase, e.word)]
            if close:
                yield Tier.TYPO, close

    @staticmethod
    def _is_language_prefix(entry: KeywordEntry) -> bool:
        return entry.action == LANGUAGE and entry.target_language is None

    def _language_named(self, phrase: str, preferred: str | None) -> str | None:
        for _tier, entries in self._lookup(phrase, allow_typo=False):
            named = [e for e in entries if e.action == LANGUAGE and e.target_language]
            if named:
                return self._prefer(named, preferred).target_language
        # Language names are control words, so they have no variants of their own; after a
        # language word, "TAAL FRANSE" still names French.
        for spelling in variants(phrase):
            named = [e for e in self.exact.get(spelling, []) if e.action == LANGUAGE and e.target_language]
            if named:
                return self._prefer(named, preferred).target_language
        return None

    @staticmethod
    def _to_match(entry: KeywordEntry, tier: Tier) -> Match:
        return Match(
            action=entry.action,
            language=entry.language,
            topic=entry.topic,
            target_language=entry.target_language,
            word=entry.word,
            tier=tier,
        )

    def _prefer(self, entries: list[KeywordEntry], preferred: str | None) -> KeywordEntry:
        def rank(entry: KeywordEntry) -> tuple[int, int]:
            order = (
                self.language_priority.index(entry.language)
                if entry.language in self.language_priority
                else len(self.language_priority)
            )
            return (0 if entry.language == preferred else 1, order)

        return min(entries, key=rank)
