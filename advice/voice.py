"""Voice content rules that need no database: how long a text takes to say, what a call must have.

The phone menu (issue 10) reads its words from the content (voice prompts are service
messages, advice and reminders carry a voice text); these helpers let the admin and the tests
judge that content.
"""

from __future__ import annotations

import math
import re

from advice.models import Topic

WORDS_PER_MINUTE = 150  # a calm speaking rate; the text-to-speech voices are close to it
SAY_MAX_CHARACTERS = 3000  # Twilio's limit for one <Say> with an Amazon Polly voice
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def spoken_seconds(text: str, words_per_minute: int = WORDS_PER_MINUTE) -> int:
    """Estimated seconds to say `text` aloud, rounded up: words at `words_per_minute`."""
    words = len(text.split())
    if words == 0:
        return 0
    return math.ceil(words * 60 / words_per_minute)


def placeholders(text: str) -> set[str]:
    """The {names} a text leaves for the code to fill."""
    return set(_PLACEHOLDER.findall(text))


def needs_voice_text(topic: Topic) -> bool:
    """Advice and reminders are spoken on calls, and so is every voice prompt."""
    return topic.kind in (Topic.Kind.ADVICE, Topic.Kind.REMINDER) or topic.slug in Topic.VOICE_PROMPTS
