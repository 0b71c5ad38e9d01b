"""What to do with what a person texted or said: the conversation's rules, as a pure decision.

The decision says which state change to make (opt out, opt in, switch language), which
topic to answer with and in which language; `conversation.services.respond` applies it.
The rules know no channel: a spoken word on a call and a text message go through them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from advice.matching import KeywordIndex, Match
from advice.models import Keyword, Topic


class Effect(Enum):
    NONE = "none"
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    SET_LANGUAGE = "set-language"
    # Reminders: the reply depends on the times given and the contact's state, so the
    # reminders services choose it (reply_topic is None in the decision).
    REMIND = "remind"
    PAUSE = "pause"
    RESUME = "resume"
    # Erase everything about the number, after one confirmation (privacy.services).
    FORGET = "forget"


@dataclass(frozen=True)
class Decision:
    effect: Effect
    reply_topic: str | None  # topic slug; None: send nothing
    reply_language: str | None  # None: the default language
    remember_language: str | None  # store as the number's language (new numbers, switches)
    is_opt_out_confirmation: bool
    note: str


def decide(
    *,
    text: str,
    index: KeywordIndex,
    stored_language: str | None,
    is_opted_out: bool,
    number_language: str | None = None,
    twilio_opt_out_type: str = "",
    is_paused: bool = False,
    answered_while_opted_out: bool = False,
) -> Decision:
    """Decide the answer to `text` from a number with this language and opt-out state.

    `is_opted_out`: opted out of the channel the words came by. A number opted out of texts
    gets no answer but to START and FORGET. `answered_while_opted_out`: the person reached
    us on a channel where the opt-out only stops what we start (they called us): they are
    answered as anyone is, and START opts them back in.

    `number_language` is the language of the number's country, if known: for a new number
    it decides words several languages share, and the language of a menu it cannot guess.
    `twilio_opt_out_type` is Twilio's OptOutType parameter: Twilio already handled an
    exact STOP or START word (Advanced Opt-Out) and sent its own confirmation.
    """
    match = index.match(text, preferred_language=stored_language or number_language)
    learned = match.language if match and not stored_language and match.action != "language" else None
    language = stored_language or learned or number_language

    def reply(
        topic: str | None,
        note: str,
        *,
        effect: Effect = Effect.NONE,
        in_language: str | None = language,
        remember: str | None = learned,
        confirmation: bool = False,
    ) -> Decision:
        return Decision(effect, topic, in_language, remember, confirmation, note)

    kind = twilio_opt_out_type.strip().upper()
    if kind == "STOP":
        return reply(None, "Twilio handled a stop word and confirmed it", effect=Effect.OPT_OUT)
    if kind == "START":
        return reply(None, "Twilio handled a start word and confirmed it", effect=Effect.OPT_IN)

    understood = _describe(match)
    if match and match.action == Keyword.Action.FORGET:
        # Honoured whatever the number's state, opted out included: one confirmation, then nothing.
        return reply(Topic.FORGOTTEN, f"{understood}: erase", effect=Effect.FORGET, confirmation=True)
    if is_opted_out:
        if match and match.action == Keyword.Action.START:
            return reply(Topic.OPTED_IN, f"{understood}: opted back in", effect=Effect.OPT_IN)
        if not answered_while_opted_out:
            if match and match.action == Keyword.Action.STOP:
                return reply(None, f"{understood}: already opted out, not confirmed again")
            return reply(None, f"{understood}: opted out, not answered")

    if match is None:
        return reply(Topic.MENU, "not understood: menu")
    if match.action == Keyword.Action.STOP:
        return reply(Topic.OPTED_OUT, f"{understood}: opted out", effect=Effect.OPT_OUT, confirmation=True)
    if match.action == Keyword.Action.LANGUAGE:
        if match.target_language is None:
            return reply(Topic.MENU, f"{understood} without a language: menu")
        return reply(
            Topic.LANGUAGE_CHANGED,
            f"{understood}: language set to {match.target_language}",
            effect=Effect.SET_LANGUAGE,
            in_language=match.target_language,
            remember=match.target_language,
        )
    if match.action == Keyword.Action.TOPIC and match.topic:
        return reply(match.topic, f"{understood}: {match.topic}")
    if match.action == Keyword.Action.REMIND:
        return reply(None, f"{understood}: reminder times", effect=Effect.REMIND)
    if match.action == Keyword.Action.PAUSE:
        return reply(None, f"{understood}: pause reminders", effect=Effect.PAUSE)
    if match.action == Keyword.Action.RESUME or (match.action == Keyword.Action.START and is_paused):
        return reply(None, f"{understood}: resume reminders", effect=Effect.RESUME)
    # MENU, or START while not opted out: the menu tells what can be done.
    return reply(Topic.MENU, f"{understood}: menu")


def _describe(match: Match | None) -> str:
    if match is None:
        return "not understood"
    how = {0: "", 1: " (variant)", 2: " (typo)"}[int(match.tier)]
    return f"{match.word.upper()}{how} [{match.language}]"
