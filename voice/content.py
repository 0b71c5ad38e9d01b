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
from dataclasses import dataclass

from advice.models import Language, Topic, TopicTranslation
from advice.selectors import fallback_languages

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


def voices() -> list[Voice]:
    """The languages a call can speak (those with a `<Say>` language and voice), in priority order."""
    rows = Language.objects.exclude(voice_language="").exclude(voice_name="").order_by("priority", "code")
    return [
        Voice(row.code, row.name, row.voice_language, row.voice_name, row.speech_language)
        for row in rows.only("code", "name", "voice_language", "voice_name", "speech_language")
    ]


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

    def line(self, slug: str, language: str, **params: str) -> Line | None:
        """The topic's voice text in `language`, else by fallback, in the voice of the language it is in."""
        by_language = self.texts.get(slug, {})
        for code in fallback_languages(language):
            voice = voice_for(code, self.available)
            if voice is not None and by_language.get(code):
                return Line(_fill(by_language[code], params, slug), voice, slug)
        return None

    def language_of(self, slug: str, language: str) -> str | None:
        """The language `line` would say the topic in."""
        by_language = self.texts.get(slug, {})
        for code in fallback_languages(language):
            if by_language.get(code) and voice_for(code, self.available) is not None:
                return code
        return None

    def label(self, slug: str, language: str) -> str:
        return self.labels.get(slug, {}).get(language, "")


def spoken(slugs: list[str], *, available: list[Voice]) -> Spoken:
    """One query for every voice text (and label) an answer needs."""
    texts: dict[str, dict[str, str]] = {}
    labels: dict[str, dict[str, str]] = {}
    rows = TopicTranslation.objects.filter(topic__slug__in=slugs).values_list(
        "topic__slug", "language_id", "voice_text", "voice_label"
    )
    for slug, language, text, label in rows:
        if text.strip():
            texts.setdefault(slug, {})[language] = text
        if label.strip():
            labels.setdefault(slug, {})[language] = label.strip()
    return Spoken(texts, labels, available)


@dataclass(frozen=True)
class MenuTopic:
    digit: int
    slug: str


def menu_topics() -> list[MenuTopic]:
    """Advice topics with a phone-menu digit, by digit."""
    rows = (
        Topic.objects.filter(kind=Topic.Kind.ADVICE, voice_digit__isnull=False)
        .order_by("voice_digit")
        .values_list("voice_digit", "slug")
    )
    return [MenuTopic(int(digit), slug) for digit, slug in rows if digit is not None]


def advice_topic(slug: str) -> Topic | None:
    """An advice topic by slug (what a call may play), or None."""
    return Topic.objects.filter(slug=slug, kind=Topic.Kind.ADVICE).only("id", "slug", "kind").first()
