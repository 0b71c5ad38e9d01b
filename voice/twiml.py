"""Building the TwiML a call hears, in one place, with the `twilio` package's VoiceResponse.

Whatever an editor typed, the answer is valid TwiML Twilio can play:
- XML-illegal control characters are removed (the library escapes `& < >` but lets `\\x0b`
  through, and invalid XML is Twilio error 12100);
- every `<Say>` names its voice and language, and holds at most SAY_MAX_CHARACTERS (Polly's
  limit): a longer text is said in several, cut between sentences;
- `<Gather input="dtmf speech">` is written as one string (the library would write a list as
  "['dtmf', 'speech']", which Twilio refuses), and only where the language has a
  speech-recognition code; `finishOnKey=""` makes `#` and `*` keys like the others (else `#`
  alone submits nothing), so they are answered "not an option" instead of silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from twilio.twiml.voice_response import VoiceResponse

from advice.voice import SAY_MAX_CHARACTERS
from voice.content import Line

# Characters XML 1.0 does not allow, even escaped: C0 controls but tab, newline and carriage
# return; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass(frozen=True)
class Ask:
    """A `<Gather>`: one key (or, where the language listens, words), posted to `action`."""

    action: str  # an absolute URL
    speech_language: str = ""  # empty: keypad only


@dataclass(frozen=True)
class Answer:
    """What to say, whether to listen, and what then: the whole of one TwiML answer."""

    lines: tuple[Line, ...]
    ask: Ask | None = None  # said inside the <Gather>, so a key can interrupt
    redirect: str | None = None  # after a <Gather> nobody answered: this URL
    hangup: bool = False

    @property
    def said(self) -> str:
        return " ".join(line.slug for line in self.lines)


def speakable(text: str) -> str:
    """Text as it may go into a `<Say>`: no XML-illegal characters, single spaces."""
    return " ".join(_XML_ILLEGAL.sub(" ", text).split())


def say_chunks(text: str, limit: int = SAY_MAX_CHARACTERS) -> list[str]:
    """`text` cut between sentences (or, failing that, words) into pieces of at most `limit` characters."""
    text = speakable(text)
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        pieces = [sentence]
        if len(sentence) > limit:
            pieces = _by_words(sentence, limit)
        for piece in pieces:
            if current and len(current) + 1 + len(piece) > limit:
                chunks.append(current)
                current = piece
            else:
                current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _by_words(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > limit:  # no space to cut at: cut anyway
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


def render(answer: Answer) -> str:
    response = VoiceResponse()
    target = response
    if answer.ask is not None:
        options: dict[str, object] = {}
        if answer.ask.speech_language:
            options = {"language": answer.ask.speech_language, "speech_timeout": "auto"}
        target = response.gather(
            input="dtmf speech" if answer.ask.speech_language else "dtmf",
            action=answer.ask.action,
            method="POST",
            num_digits=1,
            timeout=settings.VOICE_INPUT_TIMEOUT_SECONDS,
            finish_on_key="",
            action_on_empty_result=False,
            **options,
        )
    for line in answer.lines:
        for chunk in say_chunks(line.text):
            target.say(chunk, voice=line.voice.voice_name, language=line.voice.say_language)
    if answer.redirect:
        response.redirect(answer.redirect, method="POST")
    if answer.hangup:
        response.hangup()
    return str(response.to_xml())


# The fallback answer is code, not content: it must work when the database does not.
APOLOGY = (
    ("Sorry, deze dienst is even niet bereikbaar. Probeer het later opnieuw.", "Polly.Lisa-Neural", "nl-BE"),
    (
        "Désolé, ce service est momentanément indisponible. Veuillez réessayer plus tard.",
        "Polly.Isabelle-Neural",
        "fr-BE",
    ),
    (
        "Dieser Dienst ist im Moment leider nicht erreichbar. Bitte versuchen Sie es später noch einmal.",
        "Polly.Vicki-Neural",
        "de-DE",
    ),
    ("Sorry, this service is not available right now. Please try again later.", "Polly.Amy-Neural", "en-GB"),
)


def apology() -> str:
    """A short apology in the four languages, then hang up: Twilio's fallback URL, from code alone."""
    response = VoiceResponse()
    for text, voice_name, language in APOLOGY:
        response.say(text, voice=voice_name, language=language)
    response.hangup()
    return str(response.to_xml())
