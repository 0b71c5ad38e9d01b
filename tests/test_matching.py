"""How messages are understood: a table in four languages, against the seeded keywords."""

from __future__ import annotations

from typing import Any

import pytest

from advice.matching import KeywordIndex, is_one_typo_apart, variants
from advice.selectors import keyword_index
from advice.text import normalize_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def index() -> KeywordIndex:
    return keyword_index()


# text, the number's language, expected (action, topic or target, language of the word)
TABLE = [
    # The four cramp keywords, and how people type them
    ("CRAMP", None, ("topic", "cramp", "en")),
    ("KRAMP", None, ("topic", "cramp", "nl")),
    ("CRAMPE", None, ("topic", "cramp", "fr")),
    ("KRAMPF", None, ("topic", "cramp", "de")),
    ("cramp", None, ("topic", "cramp", "en")),
    (" cramp!! ", None, ("topic", "cramp", "en")),
    ("Kramp.", None, ("topic", "cramp", "nl")),
    ("crampé", None, ("topic", "cramp", "fr")),
    ("KRÄMPFE", None, ("topic", "cramp", "de")),
    ("Krämpfe", None, ("topic", "cramp", "de")),
    ("KRAEMPFE", None, ("topic", "cramp", "de")),
    ("crampes", None, ("topic", "cramp", "fr")),
    ("cramps", None, ("topic", "cramp", "en")),
    ("krampen", None, ("topic", "cramp", "nl")),
    ("kramp in mijn kuit", None, ("topic", "cramp", "nl")),
    ("Krampf in der Wade, was tun?", None, ("topic", "cramp", "de")),
    ("CRMAP", None, ("topic", "cramp", "en")),
    ("crampr", None, ("topic", "cramp", "fr")),
    ("wadenkrampf", None, ("topic", "cramp", "de")),
    ("leg cramp", None, ("topic", "cramp", "en")),
    ("ik heb kramp", None, ("topic", "cramp", "nl")),
    ("en cas de crampe", None, ("topic", "cramp", "fr")),
    # Other topics, each language
    ("ABOUT", None, ("topic", "about", "en")),
    ("uitleg", None, ("topic", "about", "nl")),
    ("définition", None, ("topic", "about", "fr")),
    ("Erklärung", None, ("topic", "about", "de")),
    ("ERKLAERUNG", None, ("topic", "about", "de")),
    ("oorzaken", None, ("topic", "causes", "nl")),
    ("Ursachen", None, ("topic", "causes", "de")),
    ("why?", None, ("topic", "causes", "en")),
    ("pourquoi", None, ("topic", "causes", "fr")),
    ("voorkomen", None, ("topic", "prevention", "nl")),
    ("prevent", None, ("topic", "prevention", "en")),
    ("prévenir", None, ("topic", "prevention", "fr")),
    ("vorbeugen", None, ("topic", "prevention", "de")),
    ("dokter", None, ("topic", "doctor", "nl")),
    ("médecin", None, ("topic", "doctor", "fr")),
    ("Ärztin", None, ("topic", "doctor", "de")),
    ("DOCTOR", None, ("topic", "doctor", "en")),
    ("DOCTRO", None, ("topic", "doctor", "en")),
    ("bron", None, ("topic", "source", "nl")),
    ("Quelle?", None, ("topic", "source", "de")),
    ("SOURCE", None, ("topic", "source", "fr")),
    # Words several languages share: the number's language, else the configured order
    ("CAUSES", None, ("topic", "causes", "fr")),
    ("CAUSES", "en", ("topic", "causes", "en")),
    ("MAGNESIUM", None, ("topic", "magnesium", "nl")),
    ("magnésium", "de", ("topic", "magnesium", "de")),
    ("PREVENTION", None, ("topic", "prevention", "fr")),
    ("HELP", None, ("menu", None, "en")),
    ("INFO", None, ("menu", None, "nl")),
    ("INFO", "de", ("menu", None, "de")),
    ("HULP", None, ("menu", None, "nl")),
    ("AIDE", None, ("menu", None, "fr")),
    ("Hilfe!", None, ("menu", None, "de")),
    ("menü", None, ("menu", None, "nl")),  # folds to MENU, which all four languages share
    ("menü", "de", ("menu", None, "de")),
    # Stop and start: Twilio's words and localised ones
    ("STOP", None, ("stop", None, "nl")),
    ("stop", "en", ("stop", None, "en")),
    ("STOPALL", None, ("stop", None, "en")),
    ("UNSUBSCRIBE", None, ("stop", None, "en")),
    ("CANCEL", None, ("stop", None, "en")),
    ("END", None, ("stop", None, "en")),
    ("QUIT", None, ("stop", None, "en")),
    ("REVOKE", None, ("stop", None, "en")),
    ("OPTOUT", None, ("stop", None, "en")),
    ("ARRET", None, ("stop", None, "fr")),
    ("ARRÊT", None, ("stop", None, "fr")),
    ("arrêter", None, ("stop", None, "fr")),
    ("STOPPEN", None, ("stop", None, "nl")),
    ("AFMELDEN", None, ("stop", None, "nl")),
    ("STOPP", None, ("stop", None, "de")),
    ("abmelden", None, ("stop", None, "de")),
    ("START", "fr", ("start", None, "fr")),
    ("UNSTOP", None, ("start", None, "en")),
    ("YES", None, ("start", None, "en")),
    ("aanmelden", None, ("start", None, "nl")),
    # Language switches
    ("NL", None, ("language", "nl", "nl")),
    ("fr", None, ("language", "fr", "fr")),
    ("De", None, ("language", "de", "de")),
    ("EN", None, ("language", "en", "en")),
    ("TAAL FR", None, ("language", "fr", "nl")),
    ("LANGUE NL", None, ("language", "nl", "fr")),
    ("SPRACHE DE", None, ("language", "de", "de")),
    ("LANGUAGE EN", None, ("language", "en", "en")),
    ("taal frans", None, ("language", "fr", "nl")),
    ("Français", None, ("language", "fr", "fr")),
    ("deutsch", None, ("language", "de", "de")),
    ("TAAL", None, ("language", None, "nl")),
]


@pytest.mark.parametrize(("text", "language", "expected"), TABLE, ids=[f"{t}|{lang}" for t, lang, _ in TABLE])
def test_it_understands(
    index: KeywordIndex, text: str, language: str | None, expected: tuple[str, str | None, str]
) -> None:
    match = index.match(text, preferred_language=language)
    assert match is not None, f"{text!r} was not understood"
    action, what, word_language = expected
    assert match.action == action
    assert (match.topic if action == "topic" else match.target_language) == what
    assert match.language == word_language


NOT_UNDERSTOOD = [
    "",
    "   ",
    "🙂",
    "🙂🙂🙂",
    "?!",
    "hello",
    "CRAP",  # four letters: too short for typo tolerance
    "CANCER",  # one letter from CANCEL, but a typo never opts anyone out
    "CANCELL",  # nor does a misspelt stop word
    "STRAT",  # nor a misspelt start word
    "\x00\x01\x02",
]


@pytest.mark.parametrize("text", NOT_UNDERSTOOD)
def test_it_does_not_guess(index: KeywordIndex, text: str) -> None:
    assert index.match(text) is None


def test_it_reads_a_language_code_as_a_word_inside_a_sentence(index: KeywordIndex) -> None:
    match = index.match("en cas de crampe")
    assert match is not None and match.action == "topic"
    assert index.match("de kramp") is not None and index.match("de kramp").topic == "cramp"  # type: ignore[union-attr]


def test_it_prefers_a_topic_over_the_menu_later_in_a_sentence(index: KeywordIndex) -> None:
    match = index.match("can you help me with my cramps")
    assert match is not None and match.topic == "cramp"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("  KRÄMPFE!! ", "krampfe"), ("Arrêt", "arret"), ("Fuß", "fuss"), ("œdème", "oedeme"), ("a\u00a0b", "a b")],
)
def test_it_folds_case_accents_and_punctuation(raw: str, folded: str) -> None:
    assert normalize_text(raw) == folded


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("cramp", "crmap", True),
        ("cramp", "cramps", True),
        ("cramp", "cram", True),
        ("cramp", "clamp", True),
        ("cramp", "cramp", False),
        ("cramp", "crmpa", False),
        ("cancel", "cancer", True),
    ],
)
def test_one_typo(a: str, b: str, expected: bool) -> None:
    assert is_one_typo_apart(a, b) is expected


def test_variants_cover_plurals_and_spelt_out_umlauts() -> None:
    assert "krampf" in set(variants("krampfe"))
    assert "krampf" in set(variants("kraempfe"))
    assert "kramp" in set(variants("krampen"))


def test_a_keyword_added_in_the_admin_is_understood_once_the_cache_expires(settings: Any) -> None:
    from advice.models import Keyword, Topic
    from advice.selectors import keyword_index

    settings.CONTENT_CACHE_SECONDS = 3600
    assert keyword_index().match("kuitpijn") is None
    Keyword.objects.create(word="KUITPIJN", language_id="nl", action="topic", topic=Topic.objects.get(slug="cramp"))

    assert keyword_index().match("kuitpijn") is None  # still the cached index
    settings.CONTENT_CACHE_SECONDS = 0
    assert keyword_index().match("kuitpijn").topic == "cramp"  # type: ignore[union-attr]
