"""What a person gets back, through the webhook, the worker's logic and the SMS backend."""

from __future__ import annotations

from typing import Any

import pytest

from advice.models import Language, Topic, TopicTranslation
from contacts.models import Contact
from messaging.models import Message

pytestmark = pytest.mark.django_db

DUTCH_CRAMP = "Kramp in uw been?"
FRENCH_CRAMP = "Crampe à la jambe ?"
GERMAN_CRAMP = "Krampf im Bein?"
ENGLISH_CRAMP = "Leg cramp?"


@pytest.mark.parametrize(
    ("keyword", "opening", "language"),
    [
        ("KRAMP", DUTCH_CRAMP, "nl"),
        ("CRAMPE", FRENCH_CRAMP, "fr"),
        ("KRAMPF", GERMAN_CRAMP, "de"),
        ("CRAMP", ENGLISH_CRAMP, "en"),
    ],
)
def test_it_replies_with_the_stretching_advice_in_the_keywords_language(
    text: Any, outbox: list[Any], keyword: str, opening: str, language: str
) -> None:
    reply = text(keyword)

    assert reply.state == Message.State.SUBMITTED
    assert reply.language == language
    assert len(outbox) == 1
    assert outbox[0].to == "+32470123456"
    assert outbox[0].body.startswith(opening)
    assert outbox[0].status_callback == f"https://cramps.example.org/twilio/sms/status/?m={reply.pk}"


def test_it_replies_in_dutch_to_kramp_with_every_step_of_the_leaflet(text: Any, outbox: list[Any]) -> None:
    text("kramp in mijn kuit")

    body = outbox[0].body
    assert "buig de knie" in body
    assert "trek dan uw tenen naar u toe" in body
    assert "masseren" in body


def test_it_remembers_the_language_of_a_new_numbers_first_keyword(text: Any) -> None:
    text("CRAMPE")

    assert Contact.objects.get(phone_number="+32470123456").language_id == "fr"


def test_a_numbers_stored_language_wins_over_the_keywords(text: Any, outbox: list[Any]) -> None:
    text("CRAMPE")
    reply = text("KRAMPF")

    assert reply.language == "fr"
    assert outbox[-1].body.startswith(FRENCH_CRAMP)


def test_a_new_numbers_message_decided_while_its_other_message_created_the_number_is_decided_again(
    text: Any, outbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: this message found no row for its number, but the number's first message
    # (CRAMPE) committed one before this one could insert it.
    from contacts import services as contact_services

    text("CRAMPE")
    locked = contact_services.contact_locked
    calls = []

    def not_yet_seen(*, phone_number: str) -> Contact | None:
        calls.append(phone_number)
        return None if len(calls) == 1 else locked(phone_number=phone_number)

    monkeypatch.setattr(contact_services, "contact_locked", not_yet_seen)
    reply = text("KRAMPF")

    assert len(calls) == 2
    assert Contact.objects.count() == 1
    assert reply.language == "fr"
    assert outbox[-1].body.startswith(FRENCH_CRAMP)


@pytest.mark.parametrize(
    ("switch", "language", "confirmation"),
    [
        ("NL", "nl", "Vanaf nu"),
        ("FR", "fr", "Les messages seront désormais en français"),
        ("TAAL DE", "de", "Ab jetzt"),
        ("LANGUE NL", "nl", "Vanaf nu"),
        ("SPRACHE DE", "de", "Ab jetzt"),
        ("LANGUAGE EN", "en", "From now on"),
        ("francais", "fr", "Les messages seront"),
    ],
)
def test_it_switches_language_and_answers_in_the_new_one(
    text: Any, outbox: list[Any], switch: str, language: str, confirmation: str
) -> None:
    text("CRAMP")
    text(switch)
    reply = text("CRAMP")

    assert outbox[1].body.startswith(confirmation)
    assert reply.language == language
    assert Contact.objects.get().language_id == language


@pytest.mark.parametrize(
    ("word", "opening"),
    [
        ("HELP", "Leg cramp advice"),
        ("HULP", "Beenkrampen. Stuur een woord"),
        ("AIDE", "Crampes aux jambes"),
        ("HILFE", "Beinkrämpfe. Senden Sie ein Wort"),
        ("INFO", "Beenkrampen. Stuur een woord"),
    ],
)
def test_it_answers_help_words_with_the_menu(text: Any, outbox: list[Any], word: str, opening: str) -> None:
    text(word)

    assert outbox[0].body.startswith(opening)


@pytest.mark.parametrize("body", ["hello", "🙂", "", "?", "CANCER"])
def test_anything_not_understood_gets_the_menu_not_silence(text: Any, outbox: list[Any], body: str) -> None:
    reply = text(body)

    assert reply is not None
    assert outbox[0].body.startswith("Leg cramp advice")  # the default language (DEFAULT_LANGUAGE=en)
    assert Message.objects.get(direction="in").note.startswith("not understood")


def test_the_menu_for_a_known_number_is_in_its_language(text: Any, outbox: list[Any]) -> None:
    text("KRAMPF")
    text("was soll ich tun")

    assert outbox[-1].body.startswith("Beinkrämpfe. Senden Sie ein Wort")


@pytest.mark.parametrize(
    ("word", "opening"),
    [
        ("STOP", "U ontvangt geen berichten meer"),
        ("ARRET", "Vous ne recevrez plus"),
        ("ARRÊT", "Vous ne recevrez plus"),
        ("STOPPEN", "U ontvangt geen berichten meer"),
        ("AFMELDEN", "U ontvangt geen berichten meer"),
        ("STOPP", "Sie erhalten keine Nachrichten mehr"),
        ("UNSUBSCRIBE", "You will no longer receive"),
    ],
)
def test_a_stop_word_opts_out_with_exactly_one_confirmation(
    text: Any, outbox: list[Any], word: str, opening: str
) -> None:
    text(word)
    text(word)
    text("KRAMP")
    text("HELP")

    assert [sms.body[: len(opening)] for sms in outbox] == [opening]
    contact = Contact.objects.get()
    assert contact.sms_opted_out
    assert contact.sms_opted_out_at is not None
    assert contact.sms_opt_out_source == Contact.OptOutSource.KEYWORD


def test_a_stop_word_confirms_in_the_numbers_language(text: Any, outbox: list[Any]) -> None:
    text("KRAMPF")
    text("STOP")

    assert outbox[-1].body.startswith("Sie erhalten keine Nachrichten mehr")


def test_start_brings_an_opted_out_number_back(text: Any, outbox: list[Any]) -> None:
    text("ARRET")
    text("START")
    reply = text("CRAMPE")

    assert outbox[1].body.startswith("Bon retour parmi nous :")
    assert reply.state == Message.State.SUBMITTED
    contact = Contact.objects.get()
    assert not contact.sms_opted_out
    assert contact.sms_opted_in_at is not None


def test_when_twilio_handled_stop_itself_the_service_does_not_confirm_twice(text: Any, outbox: list[Any]) -> None:
    reply = text("STOP", OptOutType="STOP")

    assert reply is None
    assert outbox == []
    assert Contact.objects.get().sms_opted_out


def test_when_twilio_handled_start_itself_the_number_is_back_without_a_second_confirmation(
    text: Any, outbox: list[Any]
) -> None:
    text("STOP", OptOutType="STOP")
    text("START", OptOutType="START")

    assert outbox == []
    assert not Contact.objects.get().sms_opted_out


def test_a_missing_translation_falls_back_to_the_default_language(text: Any, outbox: list[Any]) -> None:
    TopicTranslation.objects.filter(topic__slug="magnesium", language="de").delete()
    text("KRAMPF")
    reply = text("MAGNESIUM")

    assert reply.language == "en"
    assert outbox[-1].body.startswith("The effect of magnesium supplements")


def test_a_fifth_language_is_data(text: Any, outbox: list[Any]) -> None:
    Language.objects.create(code="es", name="Español", priority=50)
    cramp = Topic.objects.get(slug="cramp")
    TopicTranslation.objects.create(topic=cramp, language_id="es", sms_text="¿Calambre? Estire el músculo.")
    cramp.keywords.create(word="CALAMBRE", language_id="es", action="topic")

    reply = text("calambres")

    assert reply.language == "es"
    # The storage line under a first reply: English until the new language has its own.
    assert outbox[0].body == "¿Calambre? Estire el músculo.\nWe store your number. Text FORGET to erase it."
    text("ES", sender="+32470999999")
    assert Contact.objects.get(phone_number="+32470999999").language_id == "es"


def test_the_reply_cap_stops_an_auto_responder_loop(text: Any, outbox: list[Any], settings: Any, caplog: Any) -> None:
    settings.SMS_REPLY_LIMIT_PER_HOUR = 3
    for _ in range(10):
        text("Thank you for your message. I am out of the office.")

    assert len(outbox) == 3
    assert "reply limit reached" in caplog.text
    last = Message.objects.filter(direction="in").first()
    assert "not answered: 3 replies in the last hour" in last.note


def test_the_reply_cap_is_per_number(text: Any, outbox: list[Any], settings: Any) -> None:
    settings.SMS_REPLY_LIMIT_PER_HOUR = 1
    text("KRAMP", sender="+32470000001")
    text("KRAMP", sender="+32470000001")
    text("KRAMP", sender="+32470000002")

    assert [sms.to for sms in outbox] == ["+32470000001", "+32470000002"]


def test_the_reply_cap_counts_replies_not_reminders_or_advisories(text: Any, outbox: list[Any], settings: Any) -> None:
    settings.SMS_REPLY_LIMIT_PER_HOUR = 2
    text("KRAMP")
    contact = Contact.objects.get()
    kinds = [("reminder", "missed")] * 50 + [("reminder", "submitted"), ("advisory", "submitted")]
    for n, (purpose, state) in enumerate(kinds):
        Message.objects.create(
            direction="out",
            purpose=purpose,
            state=state,
            slot=f"slot-{n}",
            contact=contact,
            phone_number=contact.phone_number,
        )

    assert text("OORZAAK") is not None
    assert text("VOORKOMEN") is None  # the third reply in the hour
    assert len(outbox) == 2


def test_a_stop_word_is_confirmed_even_when_the_cap_is_reached(text: Any, outbox: list[Any], settings: Any) -> None:
    settings.SMS_REPLY_LIMIT_PER_HOUR = 1
    text("KRAMP")
    text("STOP")

    assert len(outbox) == 2
    assert Contact.objects.get().sms_opted_out


def test_it_replies_from_the_number_that_was_texted(text: Any, outbox: list[Any]) -> None:
    text("KRAMP", To="+3225550199")

    assert outbox[0].sender == "+3225550199"


def test_it_understands_a_belgian_number_written_nationally(text: Any, outbox: list[Any]) -> None:
    text("KRAMP", sender="0470 12 34 56")

    assert outbox[0].to == "+32470123456"
    assert Contact.objects.get().phone_number == "+32470123456"
