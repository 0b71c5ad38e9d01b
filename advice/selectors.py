"""Reading the content: the keyword index and a topic's text for a channel in a language, with fallback."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import connection

from advice.matching import KeywordEntry, KeywordIndex
from advice.models import Keyword, Language, Topic

# The channels a text is chosen for (contacts name the same two for consent and reachability).
TextChannel = Literal["sms", "voice"]


@dataclass(frozen=True)
class TopicText:
    topic: Topic
    language: str  # the language the text is in, after any fallback
    sms_text: str
    voice_text: str
    text: str  # what the channel says: see `topic_text`


def language_codes() -> list[str]:
    """All languages, in their priority order."""
    return list(Language.objects.values_list("code", flat=True))


_index_lock = threading.Lock()
_index_cache: tuple[float, KeywordIndex] | None = None


def keyword_index() -> KeywordIndex:
    """The keyword index, rebuilt at most every CONTENT_CACHE_SECONDS in each process.

    Building it reads every keyword and spells out their variants: too much to repeat for
    every message at 50 messages a second. An approved keyword change therefore applies
    within that many seconds; keywords awaiting approval are left out. Texts are read fresh
    for every reply.
    """
    global _index_cache
    now = time.monotonic()
    cached = _index_cache
    if cached is not None and now - cached[0] < settings.CONTENT_CACHE_SECONDS:
        return cached[1]
    with _index_lock:
        index = _build_keyword_index()
        _index_cache = (now, index)
        return index


def keyword_index_clear() -> None:
    global _index_cache
    _index_cache = None


# A keyword pointing at a service message (saved before the admin refused it) is ignored.
NOT_ADVICE = [Topic.Kind.SYSTEM, Topic.Kind.REMINDER]


_KEYWORD_FIELDS = ("normalized", "language_id", "action", "topic_id", "target_language_id", "whole_message_only")


def _build_keyword_index() -> KeywordIndex:
    """Every approved keyword, as approved: a keyword an editor changed keeps working in the
    form a clinician last approved (read from its history) until the change is approved."""
    live = list(Keyword.objects.filter(pending_review=False).values_list(*_KEYWORD_FIELDS))
    for keyword_id in Keyword.objects.filter(pending_review=True).values_list("id", flat=True):
        approved = (
            Keyword.history.filter(id=keyword_id, pending_review=False)
            .order_by("-history_date", "-history_id")
            .values_list(*_KEYWORD_FIELDS)
            .first()
        )
        if approved is not None:
            live.append(approved)
    topics = {
        pk: (slug, general)
        for pk, slug, general in Topic.objects.exclude(kind__in=NOT_ADVICE).values_list("id", "slug", "general")
    }
    entries = []
    for normalized, language_id, action, topic_id, target_language_id, whole_message_only in live:
        if action == Keyword.Action.TOPIC and topic_id not in topics:
            continue  # a service message or a deleted topic: never a reply
        slug, general = topics.get(topic_id, (None, False))
        entries.append(
            KeywordEntry(
                word=normalized,
                language=language_id,
                action=action,
                topic=slug,
                target_language=target_language_id,
                whole_message_only=whole_message_only,
                general=general,
            )
        )
    return KeywordIndex(entries, language_codes())


def fallback_languages(language: str | None) -> list[str]:
    """Where to look for a text: the language asked for, the default, then by priority."""
    order = [language, settings.DEFAULT_LANGUAGE, *keyword_index().language_priority]
    return list(dict.fromkeys(code for code in order if code))


# Every reply reads its text fresh, so this runs once per reply: written out, it costs a
# tenth of the ORM's version (whose join and default orderings took 1.2 ms of CPU).
_TOPIC_TEXTS = (
    "SELECT p.id, p.kind, t.language_id, t.sms_text, t.voice_text"
    " FROM advice_topictranslation t JOIN advice_topic p ON p.id = t.topic_id"
    " WHERE p.slug = %s AND (t.sms_text <> '' OR t.voice_text <> '')"
)


def topic_text(slug: str, language: str | None, *, channel: TextChannel = "sms") -> TopicText | None:
    """The topic's published text for `channel` in `language`, else in the default language,
    never nothing while any exists.

    The fallback runs over the languages in `fallback_languages` order, and per channel:
    - "sms": the first language with an SMS text (a voice text is written for the ear, and
      may be far longer than the segment budget);
    - "voice": the first language with a voice text, else, in that same language, its SMS
      text read aloud: a caller understands a text written for the screen in their own
      language, not a text written for the ear in another.
    Drafts live in another table (advice.models.TextDraft): nothing read here can be one.
    Its `topic` has only id, slug and kind loaded (the rest loads when read).
    """
    with connection.cursor() as cursor:
        cursor.execute(_TOPIC_TEXTS, [slug])
        translations = {row[2]: row for row in cursor.fetchall()}
    for code in fallback_languages(language):
        row = translations.get(code)
        if row is None:
            continue
        topic_id, kind, _code, sms_text, voice_text = row
        text = (voice_text or sms_text) if channel == "voice" else sms_text
        if text:
            topic = Topic.from_db(connection.alias, ["id", "slug", "kind"], [topic_id, slug, kind])
            return TopicText(topic, code, sms_text, voice_text, text)
    return None
