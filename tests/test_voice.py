"""The phone menu: whole calls through the views, with Twilio's signed requests, in four languages.

Each test plays Twilio's side of a call: it posts the incoming webhook, reads the TwiML it
gets (checked: only documented verbs, every <Say> with its voice and language, lengths), and
posts the caller's key or words to the <Gather>'s action, or follows the <Redirect> when
the caller says nothing, as Twilio does.
"""

from __future__ import annotations

import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from advice.models import Language, TopicTranslation
from contacts.models import Contact
from messaging.models import Message
from tests.conftest import sign
from tests.support.twiml_check import assert_valid_twiml
from voice.content import call_settings_clear
from voice.models import CallStep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_call_settings() -> Iterator[None]:
    """Voices and menu digits are cached per process: each test reads its own."""
    call_settings_clear()
    yield
    call_settings_clear()


INCOMING = "/twilio/voice/"
STATUS = "/twilio/voice/status/"
FALLBACK = "/twilio/voice/fallback/"
OUR_NUMBER = "+3225550100"
VOICES = {
    "nl": ("Polly.Lisa-Neural", "nl-BE"),
    "fr": ("Polly.Isabelle-Neural", "fr-BE"),
    "de": ("Polly.Vicki-Neural", "de-DE"),
    "en": ("Polly.Amy-Neural", "en-GB"),
}
SPEECH = {"nl": "nl-NL", "fr": "fr-FR", "de": "de-DE", "en": "en-GB"}


def call_params(sid: str, caller: str, **extra: str) -> dict[str, str]:
    params = {
        "CallSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": caller,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "Caller": caller,
        "Called": OUR_NUMBER,
        "FromCountry": "BE",
    }
    params.update(extra)
    return params


def check_twiml(content: bytes) -> ET.Element:
    """The answer is TwiML Twilio plays: documented verbs and attributes, every <Say> voiced, within limits."""
    return assert_valid_twiml(content)


@dataclass
class Said:
    text: str
    voice: str
    language: str


@dataclass
class Call:
    """Twilio's side of one call, played against the views."""

    client: Client
    caller: str
    sid: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")
    root: ET.Element | None = None
    last: tuple[str, dict[str, str]] | None = None
    capture: Any = None

    def post(self, url: str, **extra: str) -> Call:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = call_params(self.sid, self.caller, CallStatus="in-progress", **extra)
        self.last = (path, params)
        with self.capture(execute=True):
            response = self.client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/xml"
        self.root = check_twiml(response.content)
        return self

    def start(self) -> Call:
        params = call_params(self.sid, self.caller)
        self.last = (INCOMING, params)
        with self.capture(execute=True):
            response = self.client.post(INCOMING, params, HTTP_X_TWILIO_SIGNATURE=sign(INCOMING, params))
        assert response.status_code == 200, response.content
        self.root = check_twiml(response.content)
        return self

    @property
    def gather(self) -> ET.Element:
        assert self.root is not None
        gather = self.root.find("Gather")
        assert gather is not None, ET.tostring(self.root)
        return gather

    def press(self, digits: str) -> Call:
        return self.post(self.gather.get("action", ""), Digits=digits)

    def say(self, words: str) -> Call:
        assert self.gather.get("input") == "dtmf speech"
        return self.post(self.gather.get("action", ""), SpeechResult=words, Confidence="0.9")

    def silence(self) -> Call:
        assert self.root is not None
        redirect = self.root.find("Redirect")
        assert redirect is not None and redirect.text
        return self.post(redirect.text)

    def replay(self) -> Any:
        assert self.last is not None
        path, params = self.last
        with self.capture(execute=True):
            return self.client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))

    @property
    def heard(self) -> list[Said]:
        assert self.root is not None
        return [Said(say.text or "", say.get("voice", ""), say.get("language", "")) for say in self.root.iter("Say")]

    @property
    def text(self) -> str:
        return " ".join(said.text for said in self.heard)

    @property
    def hung_up(self) -> bool:
        assert self.root is not None
        return self.root.find("Hangup") is not None

    @property
    def row(self) -> Message:
        return Message.objects.get(provider_sid=self.sid)


@pytest.fixture
def phone(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    def dial(caller: str = "+32470123456") -> Call:
        return Call(client, caller, capture=django_capture_on_commit_callbacks).start()

    return dial


def voice_text(slug: str, language: str) -> str:
    return TopicTranslation.objects.get(topic__slug=slug, language_id=language).voice_text


def prompt(slug: str, language: str, **params: str) -> str:
    text = voice_text(slug, language)
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return " ".join(text.split())


LANGUAGE_DIGITS = {"nl": "1", "fr": "2", "de": "3", "en": "4"}


# --- A whole call in each language --------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_a_new_caller_chooses_a_language_hears_a_topic_again_gets_the_text_and_hangs_up(
    phone: Any, outbox: list[Any], language: str
) -> None:
    call = phone("+32470123456")

    # The language menu: each line in its own language and voice, in priority order.
    assert [(s.voice, s.language) for s in call.heard] == [VOICES[code] for code in ("nl", "fr", "de", "en")]
    assert call.heard[1].text == prompt("voice-language-option", "fr", digit="2")
    assert call.gather.get("input") == "dtmf"

    call.press(LANGUAGE_DIGITS[language])
    assert {(s.voice, s.language) for s in call.heard} == {VOICES[language]}
    assert call.heard[0].text == prompt("voice-greeting", language)
    label = TopicTranslation.objects.get(topic__slug="cramp", language_id=language).voice_label
    assert prompt("voice-menu-item", language, label=label, digit="1") in call.text
    assert call.gather.get("input") == "dtmf speech"
    assert call.gather.get("language") == SPEECH[language]
    assert Contact.objects.get(phone_number="+32470123456").language_id == language

    call.press("1")
    assert call.heard[0].text == " ".join(voice_text("cramp", language).split())
    assert call.heard[-1].text == prompt("voice-after-topic", language)

    call.press("1")  # again
    assert call.heard[0].text == " ".join(voice_text("cramp", language).split())

    call.press("2")  # as a text message
    assert call.heard[0].text == prompt("voice-text-sent", language)
    [sms] = outbox
    assert sms.to == "+32470123456"
    assert sms.body == TopicTranslation.objects.get(topic__slug="cramp", language_id=language).sms_text.strip()

    call.press("0")  # back to the menu
    assert prompt("voice-menu-end", language) in call.text

    call.silence()
    assert call.heard[0].text == prompt("voice-no-input", language)
    assert prompt("voice-menu-end", language) in call.text
    assert not call.hung_up

    call.silence()
    assert call.text == f"{prompt('voice-no-input', language)} {prompt('voice-goodbye', language)}"
    assert call.hung_up
    assert len(outbox) == 1
    row = call.row
    assert (row.channel, row.direction, row.language) == ("voice", "in", language)
    assert row.contact is not None and row.contact.phone_number == "+32470123456"
    steps = list(row.call_steps.values_list("where", "heard"))
    assert steps == [
        ("start", ""),
        ("language", LANGUAGE_DIGITS[language]),
        ("menu", "1"),
        ("topic", "1"),
        ("topic", "2"),
        ("topic", "0"),
        ("menu", ""),
        ("menu", ""),
    ]


# --- Known callers, speech, silence, wrong keys ---------------------------------------------------


def known_caller(number: str = "+32470555666", language: str = "de", **fields: Any) -> Contact:
    return Contact.objects.create(phone_number=number, language_id=language, **fields)


def test_a_known_caller_is_greeted_in_their_language_at_once(phone: Any) -> None:
    known_caller(language="de")

    call = phone("+32470555666")

    assert call.heard[0].text == prompt("voice-greeting", "de")
    assert {(s.voice, s.language) for s in call.heard} == {VOICES["de"]}
    assert "language/" not in call.gather.get("action", "")
    assert call.row.language == "de"


def test_9_offers_the_languages_again_and_a_new_choice_is_stored(phone: Any) -> None:
    known_caller(language="de")
    call = phone("+32470555666")

    call.press("9")
    assert len(call.heard) == 4 and call.heard[3].language == "en-GB"
    call.press("4")

    assert call.heard[0].text == prompt("voice-greeting", "en")
    assert Contact.objects.get(phone_number="+32470555666").language_id == "en"


@pytest.mark.parametrize(
    ("language", "words", "topic"),
    [
        ("fr", "crampe", "cramp"),
        ("nl", "Voorkomen.", "prevention"),
        ("de", "Arzt", "doctor"),
        ("en", "magnesium", "magnesium"),
        ("fr", "Comment éviter les crampes ?", "prevention"),
    ],
)
def test_spoken_words_go_through_the_keyword_rules(phone: Any, language: str, words: str, topic: str) -> None:
    known_caller(language=language)
    call = phone("+32470555666")

    call.say(words)

    assert call.heard[0].text == " ".join(voice_text(topic, language).split())
    step = call.row.call_steps.get(sequence=1)
    assert (step.input, step.heard, step.topic.slug if step.topic else None) == ("speech", "", topic)
    assert call.row.body == f"1: {words}\n"  # erased and blanked by retention with every message's text


def test_words_that_name_no_topic_are_not_an_option_and_never_stop_anything(phone: Any) -> None:
    contact = known_caller(language="en")
    call = phone("+32470555666")

    call.say("stop")
    assert call.heard[0].text == prompt("voice-not-an-option", "en")
    call.say("the weather is nice")
    assert call.heard[0].text == prompt("voice-not-an-option", "en")

    contact.refresh_from_db()
    assert not contact.is_opted_out("sms") and not contact.is_opted_out("voice")


def test_saying_a_language_switches_to_it(phone: Any) -> None:
    known_caller(language="en")
    call = phone("+32470555666")

    call.say("Nederlands")

    assert {(s.voice, s.language) for s in call.heard} == {VOICES["nl"]}
    assert Contact.objects.get(phone_number="+32470555666").language_id == "nl"


def test_a_language_without_speech_recognition_listens_for_keys_only(phone: Any) -> None:
    Language.objects.filter(code="de").update(speech_language="")
    known_caller(language="de")

    call = phone("+32470555666")

    assert call.gather.get("input") == "dtmf"
    assert call.gather.get("language") is None
    assert prompt("voice-menu-speech", "de") not in call.text


@pytest.mark.parametrize("key", ["8", "#", "*"])
def test_an_unknown_key_is_not_an_option_then_the_menu_again(phone: Any, key: str) -> None:
    known_caller(language="fr")
    call = phone("+32470555666")

    call.press(key)

    assert call.heard[0].text == prompt("voice-not-an-option", "fr")
    assert prompt("voice-menu-end", "fr") in call.text


def test_an_unknown_key_after_a_topic_repeats_the_options(phone: Any) -> None:
    known_caller(language="nl")
    call = phone("+32470555666").press("3")

    call.press("5")

    assert [s.text for s in call.heard] == [prompt("voice-not-an-option", "nl"), prompt("voice-after-topic", "nl")]


def test_an_unknown_key_at_the_language_menu_reads_it_again(phone: Any) -> None:
    call = phone()

    call.press("7")

    assert len(call.heard) == 4 and not call.hung_up


def test_silence_at_the_language_menu_asks_once_more_then_says_goodbye_in_every_language(phone: Any) -> None:
    call = phone()

    call.silence()
    assert len(call.heard) == 4 and not call.hung_up
    call.silence()

    assert [s.text for s in call.heard] == [prompt("voice-goodbye", code) for code in ("nl", "fr", "de", "en")]
    assert call.hung_up
    assert not Contact.objects.exists()


def test_silence_after_a_topic_asks_once_more_then_says_goodbye(phone: Any) -> None:
    known_caller(language="en")
    call = phone("+32470555666").press("2")

    call.silence()
    assert [s.text for s in call.heard] == [prompt("voice-no-input", "en"), prompt("voice-after-topic", "en")]
    call.silence()
    assert call.hung_up


def test_a_call_ends_politely_at_its_maximum_length(phone: Any, clock: Any, settings: Any) -> None:
    settings.VOICE_MAX_CALL_SECONDS = 120
    known_caller(language="fr")
    call = phone("+32470555666").press("1")

    clock.advance(seconds=121)
    call.press("1")

    assert call.text == prompt("voice-time-limit", "fr")
    assert call.hung_up


# --- Text copies, withheld numbers, opted-out callers ---------------------------------------------


def test_the_text_copy_is_sent_once_per_call_and_topic(phone: Any, outbox: list[Any]) -> None:
    known_caller(language="en")
    call = phone("+32470555666").press("6")

    call.press("2")
    call.press("2")
    call.press("1")
    call.press("2")

    assert call.heard[0].text == prompt("voice-text-sent", "en")
    assert len(outbox) == 1
    [sms] = Message.objects.filter(direction="out").select_related("topic")
    assert sms.topic is not None
    assert (sms.channel, sms.purpose, sms.topic.slug, sms.language) == ("sms", "reply", "magnesium", "en")


def test_another_topic_can_be_sent_too(phone: Any, outbox: list[Any]) -> None:
    known_caller(language="en")
    call = phone("+32470555666").press("6").press("2").press("0").press("7").press("2")

    assert [sms.body[:20] for sms in outbox] == [
        TopicTranslation.objects.get(topic__slug=slug, language_id="en").sms_text[:20] for slug in ("magnesium", "heat")
    ]
    assert call.row.call_steps.filter(text_message__isnull=False).count() == 2


def test_an_opted_out_caller_hears_how_to_start_texts_again_and_gets_none(phone: Any, outbox: list[Any]) -> None:
    known_caller(language="fr", sms_opted_out=True)
    call = phone("+32470555666").press("1")
    assert call.heard[-1].text == prompt("voice-after-topic", "fr")

    call.press("2")

    assert call.heard[0].text == prompt("voice-text-opted-out", "fr")
    assert "START" in call.heard[0].text.upper()
    assert call.heard[1].text == prompt("voice-after-topic-no-text", "fr")
    assert outbox == []
    assert not Message.objects.filter(direction="out").exists()


def test_a_number_that_cannot_receive_texts_is_not_offered_one(phone: Any, outbox: list[Any]) -> None:
    from django.utils import timezone

    known_caller(language="en", sms_undeliverable_at=timezone.now(), sms_undeliverable_reason="landline")
    call = phone("+32470555666").press("1")
    assert call.heard[-1].text == prompt("voice-after-topic-no-text", "en")

    call.press("2")

    assert call.heard[0].text == prompt("voice-not-an-option", "en")
    assert outbox == []


@pytest.mark.parametrize(
    "withheld",
    ["anonymous", "Anonymous", "+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833", "RESTRICTED", ""],
)
def test_a_withheld_number_uses_the_menu_without_a_contact_or_a_text(
    phone: Any, outbox: list[Any], withheld: str
) -> None:
    call = phone(withheld)
    call.press("2")  # Français
    call.press("1")

    assert call.heard[0].text == " ".join(voice_text("cramp", "fr").split())
    assert call.heard[-1].text == prompt("voice-after-topic-no-text", "fr")
    call.press("2")
    assert call.heard[0].text == prompt("voice-not-an-option", "fr")

    assert not Contact.objects.exists()
    assert outbox == [] and not Message.objects.filter(direction="out").exists()
    row = call.row
    assert (row.phone_number, row.contact, row.language) == ("", None, "fr")
    assert row.note == "call from a withheld number"


# --- Replays, signatures, bad input ----------------------------------------------------------------


def test_a_repeated_request_changes_nothing_and_is_answered_the_same(phone: Any, outbox: list[Any]) -> None:
    call = phone()
    assert call.replay().status_code == 200  # the incoming webhook, twice
    call.press("3").press("2").press("2")  # Deutsch, prevention, then 2: the text copy

    for _ in range(3):
        assert call.replay().status_code == 200

    assert len(outbox) == 1
    assert Message.objects.filter(channel="voice").count() == 1
    assert CallStep.objects.filter(call=call.row).count() == 4


def test_a_replayed_step_gets_the_same_twiml(phone: Any) -> None:
    call = phone().press("4")
    call.press("1")
    first = call.replay().content

    assert call.replay().content == first
    assert call.row.call_steps.filter(sequence=2).count() == 1


PATHS = [INCOMING, "/twilio/voice/language/?n=1", "/twilio/voice/menu/?l=en&n=1", STATUS, FALLBACK]


@pytest.mark.parametrize("path", PATHS)
def test_every_voice_url_refuses_a_missing_or_wrong_signature(client: Client, path: str) -> None:
    params = call_params(f"CA{uuid.uuid4().hex}", "+32470123456")

    assert client.post(path, params).status_code == 403
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params, token="other")).status_code == 403
    signed_elsewhere = sign(path.replace("n=1", "n=2"), params) if "n=1" in path else sign(path + "?x=1", params)
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signed_elsewhere).status_code == 403
    assert not Message.objects.exists()


def post(client: Client, path: str, params: dict[str, str]) -> Any:
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))


@pytest.mark.parametrize(
    ("path", "change"),
    [
        (INCOMING, {"CallSid": None}),
        (INCOMING, {"CallSid": "CA123"}),
        (INCOMING, {"CallSid": "SM" + "0" * 32}),
        (INCOMING, {"AccountSid": "AC" + "1" * 32}),
        ("/twilio/voice/menu/?l=en", {}),
        ("/twilio/voice/menu/?l=en&n=abc", {}),
        ("/twilio/voice/menu/?l=en&n=%C2%B2", {}),
        ("/twilio/voice/menu/?l=en&n=99999999999999999999", {}),
        ("/twilio/voice/menu/?l=%3Cen%3E&n=1", {}),
        ("/twilio/voice/menu/?l=en&n=1&q=7", {}),
        ("/twilio/voice/topic/?l=en&t=%3Cscript%3E&n=1", {}),
        (STATUS, {"CallSid": "nope"}),
        (STATUS, {"CallDuration": "-3"}),
    ],
)
def test_malformed_requests_are_refused_with_400(client: Client, path: str, change: dict[str, str | None]) -> None:
    params = {**call_params(f"CA{uuid.uuid4().hex}", "+32470123456"), **change}
    params = {k: v for k, v in params.items() if v is not None}

    response = post(client, path, params)  # type: ignore[arg-type]

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/twilio/voice/menu/?l=xx&n=1", {"Digits": "1"}),  # a language that is not (or no longer) there
        ("/twilio/voice/menu/?n=1", {"Digits": "1"}),
        ("/twilio/voice/topic/?l=en&t=no-such-topic&n=1", {"Digits": "2"}),
        ("/twilio/voice/topic/?l=en&t=menu&n=1", {"Digits": "2"}),  # a service message is no topic
        ("/twilio/voice/menu/?l=en&n=1", {"Digits": "12345678901234567890"}),
        ("/twilio/voice/menu/?l=en&n=1", {"Digits": "\x00\x0b"}),
        ("/twilio/voice/menu/?l=en&n=1", {"SpeechResult": "\x00" * 5000}),
        ("/twilio/voice/menu/?l=en&n=1", {"SpeechResult": "🙂👍🦵"}),
        ("/twilio/voice/menu/?l=en&n=1", {"From": "+32 470 " + "9" * 60}),
        ("/twilio/voice/menu/?l=en&n=1", {"From": "client:alice"}),
        ("/twilio/voice/language/?n=1", {"Digits": "0"}),
        (INCOMING, {"From": ""}),
        (INCOMING, {"To": "x" * 500, "CallStatus": "who-knows"}),
    ],
)
def test_odd_parameters_get_a_valid_answer_never_a_500(client: Client, path: str, extra: dict[str, str]) -> None:
    params = {**call_params(f"CA{uuid.uuid4().hex}", "+32470123456"), **extra}

    response = post(client, path, params)

    assert response.status_code == 200, response.content
    check_twiml(response.content)
    assert ET.fromstring(response.content).find(".//Say") is not None  # noqa: S314 - our own answer


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(INCOMING).status_code == 405


def test_editor_text_with_control_characters_and_markup_stays_valid_twiml(phone: Any) -> None:
    TopicTranslation.objects.filter(topic__slug="cramp", language_id="en").update(
        voice_text="Stretch & <relax> the muscle.\x0b Then \x1f rest. " + "Keep going. " * 400
    )
    known_caller(language="en")
    call = phone("+32470555666").press("1")

    says = [s.text for s in call.heard]
    assert says[0].startswith("Stretch & <relax> the muscle. Then rest.")
    assert all(len(text) <= 3000 for text in says)
    assert sum(len(text) for text in says[:-1]) > 3000  # said in several <Say>s


def test_a_prompt_missing_in_the_callers_language_is_said_in_the_default_language_and_its_voice(phone: Any) -> None:
    TopicTranslation.objects.filter(topic__slug="voice-greeting", language_id="nl").delete()
    known_caller(language="nl")

    call = phone("+32470555666")

    assert (call.heard[0].text, call.heard[0].voice) == (prompt("voice-greeting", "en"), VOICES["en"][0])
    assert call.heard[1].voice == VOICES["nl"][0]


# --- Status callbacks and the fallback ---------------------------------------------------------------


def test_the_status_callback_moves_the_call_forward_only_and_records_its_duration(client: Client, phone: Any) -> None:
    call = phone()
    params = call_params(call.sid, "+32470123456", CallStatus="completed", CallDuration="73")

    assert post(client, STATUS, params).status_code == 204
    assert post(client, STATUS, {**params, "CallStatus": "in-progress", "CallDuration": ""}).status_code == 204
    assert post(client, STATUS, params).status_code == 204

    row = call.row
    assert row.provider_status == "completed"
    assert set(row.call_steps.filter(where="status").values_list("heard", "duration_seconds")) == {
        ("completed", 73),
        ("in-progress", None),
    }


def test_a_status_for_an_unknown_call_is_ignored(client: Client) -> None:
    params = call_params(f"CA{uuid.uuid4().hex}", "+32470123456", CallStatus="completed", CallDuration="5")

    assert post(client, STATUS, params).status_code == 204
    assert not Message.objects.exists()


def test_the_fallback_apologises_in_four_languages_without_the_database(
    client: Client, django_assert_num_queries: Any
) -> None:
    params = call_params(f"CA{uuid.uuid4().hex}", "+32470123456", ErrorCode="11205", ErrorUrl="https://x/")

    with django_assert_num_queries(0):
        response = post(client, FALLBACK, params)

    root = check_twiml(response.content)
    assert [say.get("language") for say in root.iter("Say")] == ["nl-BE", "fr-BE", "de-DE", "en-GB"]
    assert root.find("Hangup") is not None


# --- The admin ---------------------------------------------------------------------------------


def staff_client(name: str, *codes: str, group: str = "") -> Client:
    from django.contrib.auth.models import Group, Permission, User

    user = User.objects.create_user(name, password="pw", is_staff=True)
    for code in codes:
        user.user_permissions.add(Permission.objects.get(codename=code))
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_calls_are_read_only_in_the_admin_with_their_steps_masked_without_the_permission(phone: Any) -> None:
    known_caller(language="fr")
    call = phone("+32470555666").say("crampe en pleine nuit")
    row = call.row
    operator = staff_client("operator", group="operators")
    editor = staff_client("editor", "view_call", "view_callstep", "view_message")

    for url in ("/admin/voice/call/", f"/admin/voice/call/{row.pk}/change/"):
        seen = operator.get(url)
        assert seen.status_code == 200, url
        assert "+32470555666" in seen.content.decode()
        hidden = editor.get(url).content.decode()
        assert "470555666" not in hidden and "+32470***666" in hidden
        assert "pleine nuit" not in hidden
    page = operator.get(f"/admin/voice/call/{row.pk}/change/").content.decode()
    assert "crampe en pleine nuit" in page and "voice-after-topic" in page
    assert "Save" not in page
    # Beside the contact's texts in the message log.
    assert operator.get(f"/admin/messaging/message/?contact__id__exact={row.contact_id}").status_code == 200


# --- ./run call ------------------------------------------------------------------------------------


def test_the_call_command_plays_keys_and_prints_the_transcript(outbox: list[Any]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("call", "+32470123456", "2", "1", "2", "say:magnésium", "-", "-", "--inline", stdout=out)

    transcript = out.getvalue()
    assert f"[fr-BE Polly.Isabelle-Neural] {prompt('voice-greeting', 'fr')}" in transcript
    assert "> presses 1" in transcript and "(hangs up)" in transcript
    assert "→ text message to +32470123456 [fr, submitted]" in transcript
    assert len(outbox) == 1
    assert not logging.getLogger("messaging.tasks").disabled  # left as it found it


# --- Whole calls as Twilio plays them (tests/support/twilio_phone.py) --------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_a_whole_call_played_by_the_twilio_phone(
    client: Client, django_capture_on_commit_callbacks: Any, outbox: list[Any], language: str
) -> None:
    from tests.support.twilio_phone import SILENCE, Speech, TwilioPhone

    words = {"nl": "kramp", "fr": "crampe", "de": "Krampf", "en": "cramp"}[language]
    phone = TwilioPhone.for_django(client)
    base = settings.PUBLIC_BASE_URL
    with django_capture_on_commit_callbacks(execute=True):
        call = phone.call(
            from_="+32470123456",
            to=OUR_NUMBER,
            url=f"{base}/twilio/voice/",
            fallback_url=f"{base}/twilio/voice/fallback/",
            status_callback=f"{base}/twilio/voice/status/",
            keys=[
                LANGUAGE_DIGITS[language],
                "1",
                "1",
                "2",
                "2",
                "0",
                Speech(words, confidence=0.9),
                "0",
                SILENCE,
                SILENCE,
            ],
        )

    assert call.errors == [] and call.ended_by == "service", call.transcript()
    assert {(voice, lang) for _, voice, lang in call.said_with[4:]} == {VOICES[language]}
    assert call.heard.count(" ".join(voice_text("cramp", language).split())) == 3  # 1, again, and said
    assert call.heard.count(prompt("voice-text-sent", language)) == 2
    assert call.heard[-1] == prompt("voice-goodbye", language)
    assert len(outbox) == 1  # 2 pressed twice: one text
    row = Message.objects.get(provider_sid=call.sid)
    assert row.provider_status == "completed"
    assert row.call_steps.get(where="status").duration_seconds == call.duration


def test_when_the_service_fails_twilio_plays_the_fallback_apology(client: Client, monkeypatch: Any) -> None:
    from tests.support.twilio_phone import TwilioPhone

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr("voice.services.call_incoming", broken)
    client.raise_request_exception = False
    base = settings.PUBLIC_BASE_URL

    call = TwilioPhone.for_django(client, strict=False).call(
        from_="+32470123456", to=OUR_NUMBER, url=f"{base}/twilio/voice/", fallback_url=f"{base}/twilio/voice/fallback/"
    )

    assert [lang for _, _, lang in call.said_with] == ["nl-BE", "fr-BE", "de-DE", "en-GB"]
    assert call.ended_by == "service"


def test_a_text_copy_is_kept_for_the_sweeper_when_the_broker_is_down(phone: Any, outbox: list[Any]) -> None:
    from tests.conftest import real_broker

    known_caller(language="fr")
    call = phone("+32470555666").press("1")

    with real_broker("redis://127.0.0.1:1/0"):  # nothing listens
        call.press("2")

    assert call.heard[0].text == prompt("voice-text-sent", "fr")
    [sms] = Message.objects.filter(direction="out")
    assert sms.state == Message.State.PENDING and outbox == []  # the sweeper queues it once Redis is back


def test_text_copies_count_against_the_hourly_reply_cap(phone: Any, outbox: list[Any], settings: Any) -> None:
    settings.SMS_REPLY_LIMIT_PER_HOUR = 2
    known_caller(language="en")
    call = phone("+32470555666")
    for digit in ("1", "2"):
        call.press(digit).press("2").press("0")

    call.press("3")
    assert call.heard[-1].text == prompt("voice-after-topic-no-text", "en")
    call.press("2")

    assert call.heard[0].text == prompt("voice-not-an-option", "en")
    assert len(outbox) == 2


def test_erasing_a_contact_blanks_their_calls_and_what_they_said(phone: Any) -> None:
    from privacy.services import contact_erase

    contact = known_caller(language="fr")
    call = phone("+32470555666").say("crampe la nuit").press("2")

    contact_erase(contact=contact)

    row = call.row
    assert (row.phone_number, row.body, row.params, row.contact) == ("", "", {}, None)
    steps = list(row.call_steps.values_list("heard", flat=True))
    assert steps == ["", "", "2"]  # keys only: the words went with the call's text
    assert not Message.objects.filter(phone_number="+32470555666").exists()
