"""One conversation for every channel: a word said on a call goes through the same rules as a text.

`conversation.services.respond` is called here as a channel calls it: inside a transaction,
with the number's contact locked (or a new one), what the person said, and the channel.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from advice.models import Topic, TopicTranslation
from advice.selectors import topic_text
from contacts.models import Channel, Contact
from contacts.services import contact_locked
from conversation.rules import Effect
from conversation.services import Answer, respond
from reminders.models import ReminderPlan

pytestmark = pytest.mark.django_db

NUMBER = "+32470123456"
FRENCH_CRAMP_SPOKEN = "Une crampe ? Tendez la jambe, puis tirez doucement les orteils vers vous."
GERMAN_CRAMP_SPOKEN = "Ein Krampf? Strecken Sie das Bein und ziehen Sie die Zehen sanft zu sich."


def say(text: str, channel: Channel, number: str = NUMBER) -> Answer:
    with transaction.atomic():
        contact = contact_locked(phone_number=number) or Contact(phone_number=number)
        return respond(contact=contact, text=text, channel=channel)


def _texts(slug: str, language: str) -> Any:
    return TopicTranslation.objects.filter(topic__slug=slug, language_id=language)


def test_it_answers_crampe_said_on_a_call_with_the_french_cramp_topic_as_it_is_spoken() -> None:
    answer = say("crampe", "voice")

    assert (answer.topic_slug, answer.language, answer.text_language) == ("cramp", "fr", "fr")
    assert answer.text == _texts("cramp", "fr").get().voice_text
    assert answer.text.startswith("Une crampe à la jambe ?")
    assert answer.new_contact
    assert Contact.objects.get(phone_number=NUMBER).language_id == "fr"  # the same effect as a text


def test_the_same_words_texted_get_the_sms_text_never_the_voice_text() -> None:
    _texts("cramp", "fr").update(voice_text=FRENCH_CRAMP_SPOKEN)

    answer = say("crampe", "sms")

    assert answer.text == _texts("cramp", "fr").get().sms_text
    assert answer.text != FRENCH_CRAMP_SPOKEN


def test_on_a_call_a_language_without_a_voice_text_reads_its_own_sms_text_rather_than_another_language() -> None:
    _texts("cramp", "fr").update(voice_text="")  # a language whose voice texts are yet to be written

    answer = say("crampe", "voice")

    assert answer.text_language == "fr"
    assert answer.text == _texts("cramp", "fr").get().sms_text


def test_the_language_fallback_reads_the_channels_own_text() -> None:
    # German has a text to say but none to send: a call says it in German, a text message
    # falls back to the default language (English) rather than sending nothing.
    _texts("cramp", "de").update(sms_text="", voice_text=GERMAN_CRAMP_SPOKEN)

    spoken = topic_text("cramp", "de", channel="voice")
    texted = topic_text("cramp", "de", channel="sms")

    assert spoken is not None and (spoken.language, spoken.text) == ("de", GERMAN_CRAMP_SPOKEN)
    assert texted is not None and (texted.language, texted.text) == ("en", _texts("cramp", "en").get().sms_text)


def test_a_topic_missing_in_a_language_falls_back_to_the_default_languages_voice_text() -> None:
    _texts("cramp", "de").delete()
    _texts("cramp", "en").update(voice_text="A cramp? Stretch your leg.")

    found = topic_text("cramp", "de", channel="voice")

    assert found is not None and (found.language, found.text) == ("en", "A cramp? Stretch your leg.")


def test_reminders_said_on_a_call_set_the_same_times_and_answer_with_the_placeholders_filled() -> None:
    answer = say("RAPPEL 8h30 19h", "voice")

    assert answer.effect == Effect.REMIND
    assert ReminderPlan.objects.get().reminder_times == ["08:30", "19:00"]
    assert answer.topic_slug == Topic.REMINDERS_ON
    assert "08:30" in answer.text and "19:00" in answer.text
    assert "{" not in answer.text
    assert _texts(Topic.ZONE_LOCAL, "fr").get().sms_text.strip() in answer.text  # "heure belge"


def test_a_spoken_text_with_unfilled_placeholders_is_never_said_the_menu_is() -> None:
    _texts("cramp", "fr").update(voice_text="Une crampe entre {start} et {end}.")

    answer = say("crampe", "voice")

    assert answer.topic_slug == Topic.MENU
    assert "{" not in answer.text
    assert "unfilled {start}, {end}: menu" in answer.note


def test_stop_said_on_a_call_stops_calls_only_and_is_confirmed_on_the_call() -> None:
    answer = say("stop", "voice")

    assert answer.effect == Effect.OPT_OUT
    assert answer.topic_slug == Topic.OPTED_OUT and answer.is_opt_out_confirmation
    contact = Contact.objects.get()
    assert contact.calls_opted_out and contact.calls_opt_out_source == Contact.OptOutSource.KEYWORD
    assert not contact.sms_opted_out
    assert say("crampe", "sms").topic_slug == "cramp"  # still texting with us


def test_stop_texted_stops_everything_and_start_texted_brings_everything_back() -> None:
    say("STOP", "sms")
    contact = Contact.objects.get()
    assert contact.sms_opted_out and contact.calls_opted_out

    say("START", "sms")

    contact.refresh_from_db()
    assert not contact.sms_opted_out and not contact.calls_opted_out


def test_start_said_on_a_call_opts_back_in_to_calls_only() -> None:
    say("STOP", "sms")

    answer = say("start", "voice")

    contact = Contact.objects.get()
    assert answer.effect == Effect.OPT_IN and answer.topic_slug == Topic.OPTED_IN
    assert not contact.calls_opted_out and contact.sms_opted_out


def test_a_person_who_stopped_texts_and_calls_us_is_answered_on_the_call() -> None:
    say("STOP", "sms")

    texted = say("crampe", "sms")
    spoken = say("crampe", "voice")

    assert texted.topic is None and "opted out, not answered" in texted.note
    assert spoken.topic_slug == "cramp"


def test_forget_said_on_a_call_marks_the_contact_for_erasure_as_texted_forget_does() -> None:
    say("REMIND", "sms")

    answer = say("FORGET", "voice")

    contact, plan = Contact.objects.get(), ReminderPlan.objects.get()
    assert answer.effect == Effect.FORGET and answer.topic_slug == Topic.FORGOTTEN
    assert contact.sms_opted_out and contact.sms_opt_out_source == Contact.OptOutSource.FORGET
    assert contact.calls_opted_out
    assert plan.reminder_times == [] and plan.next_reminder_at is None
