"""Messages as real people type them, in four languages: what the service does with each.

The table runs the conversation's rules (conversation.rules.decide) against the seeded
keywords; the webhook tests below check that a sentence starting with a stop word reaches
no one's opt-out through the whole service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from advice.matching import CONTROL_ACTIONS, KeywordIndex
from advice.models import Keyword
from advice.selectors import keyword_index
from contacts.models import Contact
from contacts.phone import language_for_number
from conversation.rules import Decision, Effect, decide

pytestmark = pytest.mark.django_db

BE = "+32470123456"
FR = "+33612345678"
LU = "+352621123456"
DE = "+4915123456789"
AT = "+436641234567"
NL = "+31612345678"
UK = "+447700900123"
US = "+12025550123"
IE = "+353851234567"

# What the service does: a topic slug it answers with, or an effect (opt out, pause, ...).
OPTS_OUT, OPTS_IN, REMIND, PAUSE, RESUME, SWITCH = "opts out", "opts in", "remind", "pause", "resume", "switch"
_EFFECTS = {
    Effect.OPT_OUT: OPTS_OUT,
    Effect.OPT_IN: OPTS_IN,
    Effect.REMIND: REMIND,
    Effect.PAUSE: PAUSE,
    Effect.RESUME: RESUME,
    Effect.SET_LANGUAGE: SWITCH,
}

# text, sender, the number's stored language, expected: (what it does, the reply's language)
SENTENCES: list[tuple[str, str, str | None, tuple[str, str | None]]] = [
    # Sentences that begin with a stop word are questions, not opt-outs
    ("Stop statins?", BE, None, ("menu", None)),
    ("Stoppen met plaspillen?", BE, None, ("menu", None)),
    ("Arrêter les diurétiques ?", BE, None, ("menu", None)),
    ("Ende der Krämpfe?", BE, None, ("cramp", "de")),
    ("Quite painful cramps at night", BE, None, ("cramp", "en")),
    ("stop the cramps please", BE, None, ("cramp", "en")),
    ("Stop sending me cramp tips", BE, "en", ("cramp", "en")),
    ("Cancel my doctor appointment?", BE, None, ("doctor", "en")),
    ("The end of my cramps", BE, None, ("cramp", "en")),
    ("yes I have cramps", BE, None, ("cramp", "en")),
    ("Ik wil stoppen", BE, "nl", ("menu", "nl")),
    ("Ich möchte mich abmelden", BE, "de", ("menu", "de")),
    ("arrête de m'envoyer des messages", BE, "fr", ("menu", "fr")),
    # ... while the word alone, however it is typed, opts out
    ("STOP", BE, "nl", (OPTS_OUT, "nl")),
    ("stop.", BE, "en", (OPTS_OUT, "en")),
    ("Arrêt !", BE, None, (OPTS_OUT, "fr")),
    ("  Stopp!  ", BE, None, (OPTS_OUT, "de")),
    ("END", BE, "en", (OPTS_OUT, "en")),
    ("Quit", BE, "en", (OPTS_OUT, "en")),
    ("Désabonner", BE, None, (OPTS_OUT, "fr")),
    ("Abmelden", BE, None, (OPTS_OUT, "de")),
    ("Uitschrijven", BE, None, (OPTS_OUT, "nl")),
    # Words that are everyday words in another language
    ("Quelle est la cause des crampes ?", BE, None, ("causes", "fr")),
    ("Quelle?", BE, None, ("source", "de")),
    ("Weitere Fragen", BE, "de", ("menu", "de")),
    ("Info", BE, None, ("menu", "nl")),
    ("Wat is de bron van krampen?", BE, None, ("cramp", "nl")),
    ("Bron", BE, None, ("source", "nl")),
    # The specific topic wins over the general one
    ("Hoe kan ik krampen voorkomen?", BE, None, ("prevention", "nl")),
    ("Comment éviter les crampes ?", BE, None, ("prevention", "fr")),
    ("Wie kann ich Krämpfen vorbeugen?", BE, None, ("prevention", "de")),
    ("how to prevent leg cramps", BE, None, ("prevention", "en")),
    ("Krampf beim Arzt?", BE, None, ("doctor", "de")),
    ("Magnesium tegen kramp?", BE, None, ("magnesium", "nl")),
    ("Is magnesium useful for cramps?", BE, None, ("magnesium", "en")),
    ("Waarom krijg ik 's nachts kramp?", BE, None, ("causes", "nl")),
    ("Pourquoi des crampes la nuit ?", BE, None, ("causes", "fr")),
    ("Warum habe ich nachts Wadenkrämpfe?", BE, None, ("causes", "de")),
    ("Why do I get leg cramps", BE, None, ("causes", "en")),
    ("Krampen bij hitte", BE, None, ("heat", "nl")),
    ("Hitze und Krämpfe", BE, None, ("heat", "de")),
    ("Help, cramp in my calf!", BE, None, ("cramp", "en")),
    ("Hulp bij kramp", BE, None, ("cramp", "nl")),
    # Natural words people text
    ("spierkramp", BE, None, ("cramp", "nl")),
    ("Nachtkramp!", BE, None, ("cramp", "nl")),
    ("kramp in mijn kuit", BE, None, ("cramp", "nl")),
    ("Huisdokter?", BE, None, ("doctor", "nl")),
    ("mal au mollet", BE, None, ("cramp", "fr")),
    ("Généraliste", BE, None, ("doctor", "fr")),
    ("éviter", BE, None, ("prevention", "fr")),
    ("canicule", BE, None, ("heat", "fr")),
    ("Muskelkrampf", BE, None, ("cramp", "de")),
    ("Wade", BE, None, ("cramp", "de")),
    ("Hausarzt", BE, None, ("doctor", "de")),
    ("avoid cramps", BE, None, ("prevention", "en")),
    ("hot weather", BE, None, ("heat", "en")),
    ("Doctro", BE, None, ("doctor", "en")),
    ("CRMAP at night", BE, None, ("cramp", "en")),
    # Reminders: the reminder word takes times after it; pause only a number of days
    ("REMIND 8 17", BE, "en", (REMIND, "en")),
    ("Rappelez-moi 8h", BE, None, (REMIND, "fr")),
    ("Erinnern 9 Uhr", BE, None, (REMIND, "de")),
    ("Herinneringen", BE, None, (REMIND, "nl")),
    ("Herinner mij om 8u", BE, None, (REMIND, "nl")),
    ("Kan je me herinneren?", BE, "nl", ("menu", "nl")),
    ("PAUSE 7", BE, "en", (PAUSE, "en")),
    ("Pauze 3", BE, "nl", (PAUSE, "nl")),
    ("pause", BE, "fr", (PAUSE, "fr")),
    ("pause the cramps", BE, "en", ("cramp", "en")),
    ("Pauzes", BE, "nl", ("menu", "nl")),
    ("RESUME", BE, "en", (RESUME, "en")),
    ("Resume my cramp tips", BE, "en", ("cramp", "en")),
    # Language switches are the whole message
    ("TAAL FR", BE, "nl", (SWITCH, "fr")),
    ("fr", BE, "nl", (SWITCH, "fr")),
    ("Français", BE, "nl", (SWITCH, "fr")),
    ("Français, s'il vous plaît, les causes", BE, None, ("causes", "fr")),
    ("de kramp", BE, None, ("cramp", "nl")),
    # A shared word from a new number goes by the number's country, then the priority
    ("Info", FR, None, ("menu", "fr")),
    ("Magnésium", FR, None, ("magnesium", "fr")),
    ("Info", LU, None, ("menu", "fr")),
    ("Magnesium", DE, None, ("magnesium", "de")),
    ("Info", AT, None, ("menu", "de")),
    ("Info", NL, None, ("menu", "nl")),
    ("Info", UK, None, ("menu", "en")),
    ("Info", US, None, ("menu", "en")),
    ("Magnesium", IE, None, ("magnesium", "en")),
    ("Magnesium", BE, None, ("magnesium", "nl")),
    ("KRAMP", FR, None, ("cramp", "nl")),  # a word only Dutch has is Dutch, whatever the number
    ("gibberish", FR, None, ("menu", "fr")),
    ("Info", FR, "en", ("menu", "en")),  # a number's stored language comes first
]


@pytest.fixture
def index() -> KeywordIndex:
    return keyword_index()


def _decide(index: KeywordIndex, text: str, sender: str, stored: str | None, **state: Any) -> Decision:
    return decide(
        text=text,
        index=index,
        stored_language=stored,
        number_language=language_for_number(sender),
        is_opted_out=state.get("is_opted_out", False),
        is_paused=state.get("is_paused", False),
    )


def _outcome(decision: Decision) -> str | None:
    return _EFFECTS.get(decision.effect) or decision.reply_topic


def test_the_table_has_sixty_sentences_or_more() -> None:
    assert len(SENTENCES) >= 60


@pytest.mark.parametrize(
    ("text", "sender", "stored", "expected"), SENTENCES, ids=[f"{t}|{s}|{lang}" for t, s, lang, _ in SENTENCES]
)
def test_it_understands_what_people_mean(
    index: KeywordIndex, text: str, sender: str, stored: str | None, expected: tuple[str, str | None]
) -> None:
    decision = _decide(index, text, sender, stored)
    assert (_outcome(decision), decision.reply_language) == expected, decision.note


def test_start_alone_brings_an_opted_out_number_back_but_a_sentence_does_not(index: KeywordIndex) -> None:
    assert _decide(index, "START", BE, "en", is_opted_out=True).effect == Effect.OPT_IN
    assert _decide(index, "Start!", BE, "en", is_opted_out=True).effect == Effect.OPT_IN
    assert _decide(index, "Start again please", BE, "en", is_opted_out=True).effect == Effect.NONE
    assert _decide(index, "Starting to get cramps", BE, "en", is_opted_out=True).effect == Effect.NONE


def _control_words() -> list[Keyword]:
    return list(Keyword.objects.filter(action__in=CONTROL_ACTIONS).select_related("language"))


def _misspelt(word: str) -> Iterator[str]:
    """A plural and a typo of each kind: one letter changed, dropped, added, two swapped."""
    yield from (word + "s", word + "en", word + "e")
    if len(word) > 2:
        yield word[:1] + ("a" if word[1] != "a" else "o") + word[2:]
        yield word[:-1]
        yield word[0] + word[2] + word[1] + word[3:]
    yield word + word[-1]


def test_every_control_word_inside_a_sentence_does_nothing(index: KeywordIndex) -> None:
    controls = _control_words()
    assert len(controls) > 40  # every stop, start, language, reminder word of four languages
    mistaken = []
    for keyword in controls:
        word = keyword.word
        sentences = [f"I have cramps, {word} please", f"Kan ik {word} met mijn pillen?"]
        if keyword.action not in ("remind",):  # a reminder word opening a message takes words after it
            sentences += [f"{word} the cramps", f"{word} les crampes ?"]
        for sentence in sentences:
            decision = _decide(index, sentence, BE, keyword.language_id)
            if decision.effect != Effect.NONE:
                mistaken.append((sentence, decision.note))
    assert mistaken == []


def test_no_control_word_comes_from_a_plural_or_a_typo(index: KeywordIndex) -> None:
    every_word = set(Keyword.objects.values_list("normalized", flat=True)) | set(index.language_priority)
    reminder_words = set(Keyword.objects.filter(action="remind").values_list("normalized", flat=True))
    mistaken = []
    for keyword in _control_words():
        for form in _misspelt(keyword.normalized):
            if form in every_word:
                continue  # STARTEN and STOPP are keywords of their own
            if form.split()[0] in reminder_words:
                continue  # "HERINNER MIJS": a reminder word, then words it ignores
            for text in (form, form.upper(), f"{form} 7"):
                decision = _decide(index, text, BE, keyword.language_id, is_opted_out=keyword.action == "start")
                if decision.effect != Effect.NONE:
                    mistaken.append((text, decision.note))
    assert mistaken == []


@pytest.mark.parametrize(
    "body",
    [
        "Stop statins?",
        "Stoppen met plaspillen?",
        "Arrêter les diurétiques ?",
        "Ende der Krämpfe?",
        "Quite painful cramps at night",
        "stop the cramps please",
    ],
)
def test_a_sentence_starting_with_a_stop_word_opts_nobody_out(text: Any, outbox: list[Any], body: str) -> None:
    reply = text(body)

    assert reply is not None and reply.topic.slug in ("menu", "cramp")
    assert not Contact.objects.get(phone_number=BE).sms_opted_out
    assert len(outbox) == 1


def test_the_menu_says_how_to_stop_in_every_language(text: Any, outbox: list[Any]) -> None:
    for code, stop_word in [("nl", "STOP"), ("fr", "STOP"), ("de", "STOPP"), ("en", "STOP")]:
        text(code.upper())
        menu = text("Stop statins?")
        assert menu is not None and menu.topic.slug == "menu"
        assert stop_word in menu.body, (code, menu.body)


def test_an_editor_can_make_a_keyword_count_only_as_the_whole_message(settings: Any) -> None:
    settings.CONTENT_CACHE_SECONDS = 0
    assert keyword_index().match("Uitleg over kramp").topic == "about"  # type: ignore[union-attr]
    Keyword.objects.filter(normalized="uitleg").update(whole_message_only=True)

    assert keyword_index().match("Uitleg over kramp").topic == "cramp"  # type: ignore[union-attr]
    assert keyword_index().match("Uitleg!").topic == "about"  # type: ignore[union-attr]
