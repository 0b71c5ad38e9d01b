"""The conversation, whatever the channel: what a person texted or said, its effect, and the answer.

`respond` runs the rules (`conversation.rules.decide`) on the words, applies their effect
to the contact (language, consent, reminders, an erasure request) and chooses what is said
back: the topic, in the contact's language, as that channel says it, placeholders filled.
The channel (sms; voice next) records what came in, calls `respond` under the contact's row
lock, and delivers the answer its own way.

What STOP means depends on the channel it came by:
- texted (or handled by Twilio's Advanced Opt-Out), STOP stops everything: no more texts
  and no calls (START, texted, brings both back);
- said on a call, it stops calls only: the person asked the call to stop calling them, and
  may still be texting us. Being opted out of calls stops only the calls we place: a person
  who calls us is answered as anyone is, and START said on a call opts them back in.
FORGET, by any channel, erases everything, after one confirmation on that channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from advice import selectors as advice_selectors
from advice.encoding import UNFILLED_PLACEHOLDER, fill_placeholders
from advice.models import Topic
from advice.selectors import TopicText
from contacts import services as contact_services
from contacts.models import CHANNELS, Channel, Contact
from contacts.phone import language_for_number
from conversation.rules import Decision, Effect, decide
from privacy import services as privacy
from reminders import services as reminder_services
from reminders.services import Reply

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    contact: Contact  # the number's contact, locked: inserted by `respond` when new
    new_contact: bool  # inserted by this answer: nothing was ever sent to the number
    effect: Effect
    note: str  # what was understood and done, for the message log (never the words themselves)
    language: str | None  # the conversation's language (None: the default language)
    # What is said back: a topic, the language its text is in (after any fallback) and the
    # text for the channel, placeholders filled. None, "" and "": nothing is said.
    topic: Topic | None
    text_language: str
    text: str
    is_opt_out_confirmation: bool  # sent even to a number over its reply cap

    @property
    def topic_slug(self) -> str | None:
        return self.topic.slug if self.topic is not None else None


def respond(*, contact: Contact, text: str, channel: Channel, provider_opt_out_type: str = "") -> Answer:
    """Understand `text` from this contact on `channel`, apply it, and choose the answer.

    `contact`: the number's contact, locked by the caller for its transaction
    (`contact_locked`), or, for a number never seen, a new unsaved one
    (`Contact(phone_number=...)`): it is inserted here once the words are understood,
    with the language of its first keyword. If the same number's other message inserted it
    first, the rules run again on that row.
    `provider_opt_out_type`: Twilio's OptOutType (SMS): it already handled an exact STOP or
    START and confirmed it.

    On FORGET the contact is marked for erasure here; the channel schedules the erasure
    once its confirmation has gone out (`privacy.services.forget_erasure_schedule` for SMS).
    """
    contact, decision, new_contact = _contact_and_decision(contact, text, channel, provider_opt_out_type)
    chosen = _apply(decision, contact, text, channel)
    if decision.effect == Effect.FORGET:
        privacy.contact_forget_requested(contact=contact)
    note = decision.note
    if chosen is not None and chosen.topic != decision.reply_topic:
        note = f"{note} -> {chosen.topic}"
    found, note = _text(chosen, decision.reply_language, channel, note)
    return Answer(
        contact=contact,
        new_contact=new_contact,
        effect=decision.effect,
        note=note,
        language=decision.reply_language,
        topic=found.topic if found else None,
        text_language=found.language if found else "",
        text=found.text if found else "",
        is_opt_out_confirmation=decision.is_opt_out_confirmation,
    )


def menu(*, contact: Contact, channel: Channel, note: str, new_contact: bool = False) -> Answer:
    """The menu for this contact, changing nothing: the answer when their words could not be handled.

    `new_contact`: the caller has just inserted the contact (nothing was ever sent to it)."""
    found, note = _text(Reply(Topic.MENU), contact.language_id, channel, note)
    return Answer(
        contact=contact,
        new_contact=new_contact,
        effect=Effect.NONE,
        note=note,
        language=contact.language_id,
        topic=found.topic if found else None,
        text_language=found.language if found else "",
        text=found.text if found else "",
        is_opt_out_confirmation=False,
    )


def _contact_and_decision(
    contact: Contact, text: str, channel: Channel, provider_opt_out_type: str
) -> tuple[Contact, Decision, bool]:
    """The contact (inserted when new), what the words ask, and whether the contact is new.

    A new number's row is inserted once its words are understood, with the language of its
    first keyword: one statement fewer than inserting it, then setting the language.
    """
    while True:
        new_contact = contact.pk is None
        decision = decide(
            text=text,
            index=advice_selectors.keyword_index(),
            stored_language=contact.language_id,
            number_language=language_for_number(contact.phone_number),
            is_opted_out=contact.is_opted_out(channel),
            twilio_opt_out_type=provider_opt_out_type if channel == "sms" else "",
            is_paused=reminder_services.contact_is_paused(contact),
            answered_while_opted_out=channel == "voice",
        )
        if not new_contact:
            return contact, decision, False
        contact.language_id = decision.remember_language
        if contact_services.contact_insert(contact=contact):
            return contact, decision, True
        existing = contact_services.contact_locked(phone_number=contact.phone_number)
        assert existing is not None, "a conflicting row is committed before the insert returns"
        contact = existing


def _apply(decision: Decision, contact: Contact, text: str, channel: Channel) -> Reply | None:
    """Make the decision's change; returns the service message or topic to answer with."""
    if decision.remember_language:
        contact_services.contact_set_language(contact=contact, language=decision.remember_language)
    if decision.effect == Effect.OPT_OUT:
        for consent in _consents(channel):
            contact_services.contact_opt_out(contact=contact, channel=consent, source=Contact.OptOutSource.KEYWORD)
    elif decision.effect == Effect.OPT_IN:
        for consent in _consents(channel):
            contact_services.contact_opt_in(contact=contact, channel=consent)
    elif decision.effect == Effect.REMIND:
        return reminder_services.reminders_subscribe(contact=contact, text=text)
    elif decision.effect == Effect.PAUSE:
        return reminder_services.reminders_pause(contact=contact, text=text)
    elif decision.effect == Effect.RESUME:
        return reminder_services.reminders_resume(contact=contact)
    if decision.reply_topic is None:
        return None
    return Reply(decision.reply_topic)


def _consents(channel: Channel) -> tuple[Channel, ...]:
    """What STOP and START change, by the channel they came by: texted, everything; said on a call, calls."""
    return CHANNELS if channel == "sms" else (channel,)


def _text(chosen: Reply | None, language: str | None, channel: Channel, note: str) -> tuple[TopicText | None, str]:
    """The answer's text for the channel, placeholders filled, and the note; never unfilled braces.

    A text meant for other words ("{start}") reached by a path that has none gets the menu
    instead (the menu is an answer, silence is not); a menu with unfilled braces, nothing.
    """
    if chosen is None:
        return None, note
    found = advice_selectors.topic_text(chosen.topic, language, channel=channel)
    if found is None:
        logger.error("topic %r has no text in any language: not answered", chosen.topic)
        return None, f"{note}; not answered: topic {chosen.topic!r} has no text in any language"
    params = {**chosen.params, **_topic_params(chosen, found.language, channel)}
    filled = fill_placeholders(found.text, params)
    unfilled = UNFILLED_PLACEHOLDER.findall(filled)
    if unfilled and chosen.topic != Topic.MENU:
        logger.error("topic %r has unfilled %s: the menu instead", chosen.topic, unfilled)
        note = f"{note}; {chosen.topic} has unfilled {', '.join(unfilled)}: menu"
        return _text(Reply(Topic.MENU), language, channel, note)
    if unfilled:
        logger.error("the menu has unfilled %s: not answered", unfilled)
        return None, f"{note}; not answered: the menu has unfilled {', '.join(unfilled)}"
    return TopicText(found.topic, found.language, found.sms_text, found.voice_text, filled), note


def _topic_params(chosen: Reply, language: str, channel: Channel) -> dict[str, str]:
    """The answer's words that are other topics' texts, in the language the answer is in."""
    filled: dict[str, str] = {}
    for name, slug in chosen.topic_params.items():
        found = advice_selectors.topic_text(slug, language, channel=channel)
        if found is not None and found.language == language:
            filled[name] = found.text.strip()
    return filled
