"""What a reminder call says: the reminder's voice text in the contact's language and voice,
then (for a person) 1 to hear it again, 2 to stop reminder calls.

A machine (voicemail: Twilio fetched our Url after the beep, `AnsweredBy=machine_end_*`)
hears the reminder once, then the call ends. Built with the `twilio` package's
VoiceResponse; every `<Say>` names its voice and language and stays under Polly's limit.
Pressing 2 stops the reminders (the times are cleared, as an admin would) and says so;
nothing else changes: texts, the menu and the person's language stay as they were.

When the phone menu's `voice` app is on main, these answers move onto its TwiML builder.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from twilio.twiml.voice_response import VoiceResponse

from advice import selectors as advice_selectors
from advice.models import Language, Topic
from advice.voice import SAY_MAX_CHARACTERS
from contacts.models import Contact
from contacts.phone import masked
from messaging.models import Message
from reminders import services as reminder_services
from reminders.call_rules import MACHINE_ANSWERS
from reminders.calls import TWIML_PATH, attempts_of

logger = logging.getLogger(__name__)

KEY_PATH = TWIML_PATH + "key/"
INPUT_TIMEOUT_SECONDS = 6
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Voice:
    name: str
    language: str


def _voice(language: str | None) -> Voice:
    found = Language.objects.filter(code=language or settings.DEFAULT_LANGUAGE).first()
    if found is None or not found.voice_name:
        found = Language.objects.exclude(voice_name="").order_by("priority").first()
    return Voice(found.voice_name, found.voice_language) if found else Voice("Polly.Amy-Neural", "en-GB")


def _speakable(text: str) -> str:
    return " ".join(_XML_ILLEGAL.sub(" ", text).split())[: SAY_MAX_CHARACTERS - 1]


def _prompt(slug: str, language: str | None) -> str:
    found = advice_selectors.topic_text(slug, language)
    return found.voice_text if found else ""


def _key_url(message_id: int, attempt: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{KEY_PATH}?m={message_id}&a={attempt}"


def _call(message_ref: str, attempt_ref: str) -> Message | None:
    if not (message_ref.isascii() and message_ref.isdigit() and attempt_ref.isascii() and attempt_ref.isdigit()):
        return None
    return (
        Message.objects.filter(pk=int(message_ref), channel=Message.Channel.VOICE, direction=Message.Direction.OUTBOUND)
        .exclude(body="")
        .first()
    )


def _hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


def reminder_call_answer(*, message_ref: str, attempt_ref: str, answered_by: str = "") -> str:
    """The TwiML of a reminder call, when it is answered (Twilio fetches our Url)."""
    call = _call(message_ref, attempt_ref)
    if call is None:
        return _hang_up()
    voice = _voice(call.language)
    response = VoiceResponse()
    if answered_by in MACHINE_ANSWERS or answered_by == "fax":
        response.say(_speakable(call.body), voice=voice.name, language=voice.language)
        response.hangup()
        return str(response.to_xml())
    gather = response.gather(
        input="dtmf",
        action=_key_url(call.pk, int(attempt_ref)),
        method="POST",
        num_digits=1,
        timeout=INPUT_TIMEOUT_SECONDS,
        finish_on_key="",
    )
    gather.say(_speakable(call.body), voice=voice.name, language=voice.language)
    options = _prompt(Topic.VOICE_REMINDER_OPTIONS, call.language)
    if options:
        gather.say(_speakable(options), voice=voice.name, language=voice.language)
    goodbye = _prompt(Topic.VOICE_GOODBYE, call.language)
    if goodbye:
        response.say(_speakable(goodbye), voice=voice.name, language=voice.language)
    response.hangup()
    return str(response.to_xml())


def reminder_call_key(*, message_ref: str, attempt_ref: str, digits: str) -> str:
    """A key pressed after the reminder: 1 hear it again, 2 stop reminder calls; else goodbye."""
    call = _call(message_ref, attempt_ref)
    if call is None:
        return _hang_up()
    if digits == "1":
        return reminder_call_answer(message_ref=message_ref, attempt_ref=attempt_ref)
    voice = _voice(call.language)
    response = VoiceResponse()
    if digits == "2" and call.contact_id is not None:
        reminder_calls_stop(contact_id=call.contact_id)
        said = _prompt(Topic.VOICE_REMINDER_STOPPED, call.language)
    else:
        said = _prompt(Topic.VOICE_GOODBYE, call.language)
    if said:
        response.say(_speakable(said), voice=voice.name, language=voice.language)
    response.hangup()
    return str(response.to_xml())


def reminder_calls_stop(*, contact_id: int) -> None:
    """2 on a reminder call: the reminders stop (as an admin clearing the times); nothing else
    changes. Repeated (Twilio may send the same request twice), it changes nothing more."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None:
            return
        reminder_services.reminders_stop(contact=contact)
    logger.info("contact %s stopped reminder calls on a reminder call", masked(contact.phone_number))


__all__ = ["attempts_of", "reminder_call_answer", "reminder_call_key", "reminder_calls_stop"]
