"""What a call says, read from the content: each language's voice, the prompts, the topics' voice texts.

Everything spoken is data an editor changes in the admin: prompts are service messages
(`voice-*` topics), advice carries a voice text and a menu label, each language its `<Say>`
voice and speech-recognition code. A text missing in the caller's language falls back as
texts do (the default language, then by priority), and is then spoken in the voice of the
language it is written in: never French words in a Dutch voice.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import connection

from advice.models import Language, Topic

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class Voice:
    """How to speak one language: the `<Say>` language and voice, and the speech-recognition code."""

    code: str  # the content language (advice.Language.code)
    name: str  # in the language itself, for the simulator
    say_language: str  # nl-BE
    voice_name: str  # Polly.Lisa-Neural
    speech_language: str  # nl-NL; empty: keypad only


@dataclass(frozen=True)
class Line:
    """Something said to the caller, in a voice."""

    text: str
    voice: Voice
    slug: str  # the prompt or topic it says, for the call's steps


@dataclass(frozen=True)
class MenuTopic:
    digit: int
    slug: str


@dataclass(frozen=True)
class Settings:
    """What changes rarely: the languages' voices, the menu's digits, the advice topics."""

    voices: list[Voice]  # the languages a call can speak, in priority order
    menu: list[MenuTopic]  # advice topics with a digit, by digit
    advice: dict[str, int]  # advice topic slug -> id


_settings_lock = threading.Lock()
_settings_cache: tuple[float, Settings] | None = None


def call_settings() -> Settings:
    """Voices, menu digits and advice topics, re-read at most every CONTENT_CACHE_SECONDS per process.

    As with keywords (advice.selectors.keyword_index): three queries fewer on every step of
    every call. Texts are not cached: each answer reads the published texts it says.
    """
    global _settings_cache
    now = time.monotonic()
    cached = _settings_cache
    if cached is not None and now - cached[0] < django_settings.CONTENT_CACHE_SECONDS:
        return cached[1]
    with _settings_lock:
        languages = Language.objects.exclude(voice_language="").exclude(voice_name="").order_by("priority", "code")
        voices = [
            Voice(row.code, row.name, row.voice_language, row.voice_name, row.speech_language)
            for row in languages.only("code", "name", "voice_language", "voice_name", "speech_language")
        ]
        advice = Topic.objects.filter(kind=Topic.Kind.ADVICE)
        menu = [
            MenuTopic(int(digit), slug)
            for digit, slug in advice.filter(voice_digit__isnull=False)
            .order_by("voice_digit")
            .values_list("voice_digit", "slug")
            if digit is not None
        ]
        loaded = Settings(voices, menu, dict(advice.values_list("slug", "id")))
        _settings_cache = (now, loaded)
        return loaded


def call_settings_clear() -> None:
    global _settings_cache
    _settings_cache = None


def voices() -> list[Voice]:
    return call_settings().voices


def voice_for(code: str, available: list[Voice] | None = None) -> Voice | None:
    for voice in available if available is not None else voices():
        if voice.code == code:
            return voice
    return None


def _fill(text: str, params: dict[str, str], slug: str) -> str:
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    if _PLACEHOLDER.search(text):
        # A placeholder this prompt should not have (an editor's slip): never read braces aloud.
        logger.error("voice text %r has unfilled %s: left out", slug, _PLACEHOLDER.findall(text))
        text = _PLACEHOLDER.sub("", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Spoken:
    """Voice texts of several topics, each in the languages it is written in."""

    texts: dict[str, dict[str, str]]  # slug -> language -> voice text
    labels: dict[str, dict[str, str]]  # slug -> language -> menu label
    available: list[Voice]

    def fallback(self, language: str) -> list[str]:
        """Where to look for a text: the language asked for, the default, then by priority (as
        advice.selectors.fallback_languages, among the languages a call can speak, and without
        the keyword index, which a step would otherwise rebuild every CONTENT_CACHE_SECONDS)."""
        order = [language, django_settings.DEFAULT_LANGUAGE, *(voice.code for voice in self.available)]
        return list(dict.fromkeys(code for code in order if code))

    def line(self, slug: str, language: str, **params: str) -> Line | None:
        """The topic's voice text in `language`, else by fallback, in the voice of the language it is in."""
        by_language = self.texts.get(slug, {})
        for code in self.fallback(language):
            voice = voice_for(code, self.available)
            if voice is not None and by_language.get(code):
                return Line(_fill(by_language[code], params, slug), voice, slug)
        return None

    def language_of(self, slug: str, language: str) -> str | None:
        """The language `line` would say the topic in."""
        by_language = self.texts.get(slug, {})
        for code in self.fallback(language):
            if by_language.get(code) and voice_for(code, self.available) is not None:
                return code
        return None

    def label(self, slug: str, language: str) -> str:
        return self.labels.get(slug, {}).get(language, "")


# Every voice prompt, and the topics an answer may name, in one statement (the ORM's version
# cost more CPU to build than PostgreSQL took to run it).
_VOICE_TEXTS = (
    "SELECT p.slug, t.language_id, t.voice_text, t.voice_label"
    " FROM advice_topictranslation t JOIN advice_topic p ON p.id = t.topic_id"
    " WHERE p.slug LIKE 'voice-%%' OR p.slug IN ({slugs})"
)


def spoken(slugs: list[str], *, available: list[Voice]) -> Spoken:
    """The voice prompts and the voice texts and labels of `slugs`, read in one query."""
    texts: dict[str, dict[str, str]] = {}
    labels: dict[str, dict[str, str]] = {}
    wanted = [slug for slug in dict.fromkeys(slugs) if slug] or [""]
    with connection.cursor() as cursor:
        cursor.execute(_VOICE_TEXTS.format(slugs=", ".join(["%s"] * len(wanted))), wanted)
        rows = cursor.fetchall()
    for slug, language, text, label in rows:
        if text.strip():
            texts.setdefault(slug, {})[language] = text
        if label.strip():
            labels.setdefault(slug, {})[language] = label.strip()
    return Spoken(texts, labels, available)


def menu_topics() -> list[MenuTopic]:
    """Advice topics with a phone-menu digit, by digit."""
    return call_settings().menu


def advice_topic(slug: str) -> Topic | None:
    """An advice topic by slug (what a call may play), or None."""
    topic_id = call_settings().advice.get(slug)
    if topic_id is None:
        return None
    return Topic.from_db(connection.alias, ["id", "slug", "kind"], [topic_id, slug, Topic.Kind.ADVICE])
