"""The storage line (issue 12): a new contact's first reply, and every reminder confirmation,
end with one line saying that their number is stored and which word erases it; nothing else
does, and FORGET's confirmation never. Asserted on what reached Twilio (the stand-in)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from advice.encoding import sms_size
from advice.models import Topic
from conversation import services as conversation
from messaging.text_costs import MENU_BUDGET
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db
NUMBER = "+32470123456"
LINE = {
    "en": "\nWe store your number. Text FORGET to erase it.",
    "nl": "\nWe bewaren uw nummer. Wissen: stuur VERGEET MIJ.",
    "fr": "\nNuméro conservé. Pour l'effacer, envoyez OUBLIEZ-MOI.",
    "de": "\nWir speichern Ihre Nummer. Zum Löschen VERGISS MICH senden.",
}


def sent(fake_twilio: FakeTwilio) -> list[str]:
    return [request.params["Body"] for request in fake_twilio.creates()]


@pytest.mark.parametrize(
    ("first", "language", "opening", "segments"),
    [
        ("KRAMP", "nl", "Kramp in uw been?", 3),
        ("Comment éviter les crampes ?", "fr", "Vous pouvez prévenir", 3),
        ("EXAMEN", "fr", "Examen des jambes", 3),  # UCS-2: 201 of 201 units with the line
        ("UITLEG", "nl", "Beenkrampen zijn", 3),
        ("HILFE", "de", "Beinkrämpfe. Senden Sie ein Wort", MENU_BUDGET),
        ("hello", "en", "Leg cramp advice", MENU_BUDGET),  # not understood: the menu
        ("FR", "fr", "Les messages seront désormais en français", 2),
        ("STOP", "nl", "U ontvangt geen berichten meer", 1),  # kept as opted out: stored, so said
        ("PAUSE", "fr", "Vous n'avez pas de rappels", 2),  # a word several languages share: by priority
    ],
)
def test_a_new_numbers_first_reply_ends_with_the_line_within_its_budget(
    text: Any, fake_twilio: FakeTwilio, first: str, language: str, opening: str, segments: int
) -> None:
    text(first, sender=NUMBER)

    [body] = sent(fake_twilio)
    assert body.startswith(opening)
    assert body.endswith(LINE[language])
    assert body.count(LINE[language]) == 1
    assert sms_size(body).segments <= segments


def test_the_second_reply_does_not_carry_it(text: Any, fake_twilio: FakeTwilio) -> None:
    text("KRAMP", sender=NUMBER)
    text("KRAMP", sender=NUMBER)
    text("MENU", sender=NUMBER)

    first, second, menu = sent(fake_twilio)
    assert first.endswith(LINE["nl"])
    assert "VERGEET MIJ" not in second and "VERGEET MIJ" not in menu
    assert first == second + LINE["nl"]


def test_each_new_number_gets_it_once(text: Any, fake_twilio: FakeTwilio) -> None:
    text("CRAMP", sender=NUMBER)
    text("CRAMP", sender="+32470999999")
    text("CRAMP", sender=NUMBER)

    assert [body.endswith(LINE["en"]) for body in sent(fake_twilio)] == [True, True, False]


def test_every_reminder_confirmation_carries_it(text: Any, fake_twilio: FakeTwilio) -> None:
    text("KRAMPF", sender=NUMBER)
    text("ERINNERUNG 8:30 20 Uhr", sender=NUMBER)
    text("PAUSE", sender=NUMBER)
    text("WEITER", sender=NUMBER)  # resumed: the reminders are on again, and it says so

    _cramp, on, paused, resumed = sent(fake_twilio)
    assert on.startswith("Erinnerungen aktiv: Sie erhalten um 08:30, 20:00 (belgische Zeit)")
    assert on.endswith(LINE["de"]) and resumed.endswith(LINE["de"])
    assert "VERGISS MICH" not in paused
    assert sms_size(on).segments <= 2


def test_a_reminder_confirmation_as_the_first_reply_carries_it_once(text: Any, fake_twilio: FakeTwilio) -> None:
    text("RAPPEL 8h 12h 13h 14h 15h 16h", sender=NUMBER)  # six times: the longest confirmation

    [body] = sent(fake_twilio)
    assert body.count("OUBLIEZ-MOI") == 1 and body.endswith(LINE["fr"])
    assert sms_size(body).segments <= 2


@pytest.mark.parametrize(("word", "language"), [("FORGET", "en"), ("VERGEET MIJ", "nl"), ("OUBLIEZ-MOI", "fr")])
def test_forgets_confirmation_never_carries_it(text: Any, fake_twilio: FakeTwilio, word: str, language: str) -> None:
    text(word, sender=NUMBER)  # the very first message: nothing stays stored, so nothing to erase

    [confirmation] = sent(fake_twilio)
    assert LINE[language] not in confirmation
    assert not any(line in confirmation for line in LINE.values())


def test_a_number_that_texts_again_after_forget_is_new_and_told_again(text: Any, fake_twilio: FakeTwilio) -> None:
    text("CRAMP", sender=NUMBER)
    text("FORGET", sender=NUMBER)
    text("CRAMP", sender=NUMBER)  # starts afresh (the suppression is removed)

    first, confirmation, again = sent(fake_twilio)
    assert first.endswith(LINE["en"]) and again.endswith(LINE["en"])
    assert not confirmation.endswith(LINE["en"])


def test_a_first_message_that_cannot_be_handled_gets_the_menu_with_the_line(
    text: Any, fake_twilio: FakeTwilio, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(conversation, "decide", broken)
    with caplog.at_level(logging.CRITICAL):
        reply = text("KRAMP", sender=NUMBER)

    assert reply is not None and reply.topic.slug == Topic.MENU
    [body] = sent(fake_twilio)
    assert body.endswith(LINE["en"])  # no language known yet: the default
