"""The seeded content and the text arithmetic: complete, cheap where it can be, catalogues compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

from advice.encoding import render_sms_text, sms_size
from advice.models import Keyword, Language, Topic, TopicTranslation
from advice.selectors import keyword_index
from advice.text import words

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extended characters count twice
        ("€" * 81, "GSM-7", 2),
        ("é è à ù ä ö ü ß É Ç", "GSM-7", 1),
        ("ç" + "a" * 69, "UCS-2", 1),
        ("ç" + "a" * 70, "UCS-2", 2),
        ("ê" + "a" * 133, "UCS-2", 2),
        ("ë" + "a" * 134, "UCS-2", 3),
        ("🦵" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("🦵" * 36, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_it_counts_segments_as_carriers_do(text: str, encoding: str, segments: int) -> None:
    size = sms_size(text)
    assert (size.encoding, size.segments) == (encoding, segments)


def test_it_replaces_punctuation_that_would_force_ucs2_but_never_letters() -> None:
    rendered = render_sms_text("\u201cCrampe\u201d\u00a0: l\u2019étirer \u2013 doucement\u2026  ça  ")

    assert rendered == '"Crampe" : l\'étirer - doucement... ça'
    assert sms_size(render_sms_text("l\u2019eau \u00ab froide \u00bb")).encoding == "GSM-7"


def test_it_tidies_spaces_and_blank_lines() -> None:
    assert render_sms_text("  a  \r\n\r\n\r\n\r\n b \t c  ") == "a\n\nb c"


needs_db = pytest.mark.django_db


@needs_db
def test_every_topic_is_translated_into_all_four_languages() -> None:
    for topic in Topic.objects.all():
        languages = set(topic.translations.values_list("language_id", flat=True))
        assert languages == {"nl", "fr", "de", "en"}, topic.slug


@needs_db
def test_every_advice_topic_has_a_keyword_in_every_language() -> None:
    for topic in Topic.objects.filter(kind=Topic.Kind.ADVICE):
        assert set(topic.keywords.values_list("language_id", flat=True)) == {"nl", "fr", "de", "en"}, topic.slug


@needs_db
def test_every_word_a_menu_offers_is_understood_in_that_language() -> None:
    index = keyword_index()
    for menu in TopicTranslation.objects.filter(topic__slug="menu"):
        # "CRAMP - what to do now", or a word alone on its line ("CAUSES").
        offered = re.findall(r"^([A-ZÄÖÜÉ ]+)(?: - |$)", menu.sms_text, flags=re.MULTILINE)
        assert len(offered) >= 12
        for line in offered:
            for word in line.split():
                match = index.match(word, preferred_language=menu.language_id)
                assert match is not None, f"{menu.language_id} menu offers {word}, which is not understood"


@needs_db
def test_the_texts_cost_no_more_than_they_must() -> None:
    for translation in TopicTranslation.objects.all():
        body = render_sms_text(translation.sms_text)
        size = sms_size(body)
        assert body == translation.sms_text, "seeded texts are already in their rendered form"
        assert size.segments <= 7, (translation, size)
        if size.encoding == "UCS-2":
            # Only letters the language's spelling needs may force UCS-2.
            assert set(re.sub(r"[\x00-\x7f]", "", body)) - set("éèàùäöüßÉÇ") <= set("ïçêîôâûœ"), translation


@needs_db
def test_the_seed_says_what_the_leaflet_says() -> None:
    leaflet = ROOT.parent / "shared" / "seed" / "leg-cramps-leaflet.txt"
    english = {t.topic.slug: t.sms_text for t in TopicTranslation.objects.filter(language="en").select_related("topic")}
    for phrase in ["Put your weight on the affected leg and bend the knee", "pull your toes towards you", "massage"]:
        assert phrase in english["cramp"]
    for phrase in [
        "sodium",
        "oxygen",
        "sudden movement",
        "dehydration",
        "diuretics",
        "statins",
        "oedema",
        "pregnancy",
        "nerves",
        "no trigger is found",
    ]:
        assert phrase in english["causes"]
    for phrase in ["drinking enough", "alcohol and caffeine", "salt and sugar"]:
        assert phrase in english["prevention"]
    assert "nothing proves" in english["magnesium"]
    assert "28/02/2017" in english["source"] and "15/05/2019" in english["source"]
    if leaflet.exists():
        source = leaflet.read_text()
        assert "add salt and sugar to the water" in source
        assert "nothing proves their effectiveness" in source


@needs_db
def test_languages_carry_their_voice_and_priority() -> None:
    assert list(Language.objects.values_list("code", flat=True)) == ["nl", "fr", "de", "en"]
    assert Language.objects.get(code="fr").voice_language == "fr-BE"


@needs_db
def test_stop_words_include_twilios_own() -> None:
    stop_words = set(Keyword.objects.filter(action="stop").values_list("normalized", flat=True))
    assert {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"} <= stop_words
    assert {"arret", "stoppen", "afmelden", "stopp"} <= stop_words
    assert words("ARRÊT!") == ["arret"]


def _po_entries(path: Path) -> dict[str, str]:
    entries, key, current = {}, None, {"msgid": "", "msgstr": ""}
    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith("msgid "):
            key = "msgid"
            current = {"msgid": ast.literal_eval(line[6:]), "msgstr": ""}
        elif line.startswith("msgstr ") or line.startswith("msgstr[0] "):
            key = "msgstr"
            current["msgstr"] = ast.literal_eval(line.split(" ", 1)[1])
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip() and current["msgid"]:
            entries[current["msgid"]] = current["msgstr"]
            key = None
    return entries


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_admin_catalogues_are_complete_and_compiled(language: str) -> None:
    folder = ROOT / "locales" / language / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    compiled = gettext.GNUTranslations((folder / "django.mo").open("rb"))

    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    for msgid, msgstr in entries.items():
        assert compiled.gettext(msgid) == msgstr or compiled.ngettext(msgid, msgid, 1) == msgstr, (
            f"{msgid!r}: django.mo is older than django.po (run ./run compilemessages --ignore=.venv)"
        )


KEYWORD_OF_DOCTOR = {"en": "DOCTOR", "nl": "DOKTER", "fr": "MÉDECIN", "de": "ARZT"}


def _texts(slug: str) -> dict[str, str]:
    return dict(TopicTranslation.objects.filter(topic__slug=slug).values_list("language_id", "sms_text"))


@needs_db
def test_heat_keeps_the_leaflets_condition_effort_and_heat_as_prevention_words_it() -> None:
    # "In case of intense efforts and very high temperatures, it is also advisable to add salt and sugar".
    salt = {"en": "salt", "nl": "zout", "fr": "sel", "de": "Salz"}
    either = {"en": "or", "nl": "of", "fr": "ou", "de": "oder"}
    heat, prevention = _texts("heat"), _texts("prevention")
    for language, text in heat.items():
        [sentence] = [s for s in re.split(r"(?<=\.) ", text) if salt[language] in s]
        assert sentence in prevention[language], language
        assert not re.search(rf"\b{either[language]}\b", sentence), (language, sentence)


@needs_db
def test_the_cramp_reply_says_when_to_see_a_doctor_and_names_the_keyword() -> None:
    massage = {
        "en": "massage the muscle or have it massaged",
        "nl": "masseren of laten masseren",
        "fr": "masser le muscle ou le faire masser",
        "de": "massieren oder massieren lassen",
    }
    very_often = {"en": "very often", "nl": "heel vaak", "fr": "très souvent", "de": "sehr oft"}
    doctor = _texts("doctor")
    for language, text in _texts("cramp").items():
        assert massage[language] in text, language
        last_line = text.splitlines()[-1]
        assert very_often[language] in last_line and KEYWORD_OF_DOCTOR[language] in last_line, language
        assert last_line.split(". ")[0] + "." in doctor[language], "worded as the doctor topic words it"


@needs_db
def test_what_the_doctor_examines_is_in_lay_words() -> None:
    exam = _texts("doctor-exam")
    expected = {
        "en": ["tenderness", "fluid retention", "salts"],
        "nl": ["drukpijn", "vochtophoping", "zouten"],
        "fr": ["douleur à la pression", "œdème", "sels minéraux"],
        "de": ["Druckempfindlichkeit", "Wassereinlagerungen", "Salze"],
    }
    for language, lay_words in expected.items():
        for word in lay_words:
            assert word in exam[language], (language, word)
    assert "gevoeligheid" not in exam["nl"] and "sensibilité" not in exam["fr"]


@needs_db
def test_no_text_keeps_a_word_the_clinical_read_found_wrong() -> None:
    wrong = ["gehydrateerd", "langdurige", "Kontraktion", "c'est quoi", "Bon retour :", "Herinneringen aan", "Europe/"]
    for translation in TopicTranslation.objects.select_related("topic"):
        found = [word for word in wrong if word in translation.sms_text]
        assert found == [], (translation.topic.slug, translation.language_id, found)


@needs_db
def test_french_texts_show_keywords_with_the_accents_gsm7_has() -> None:
    french = " ".join(_texts(slug)["fr"] for slug in ["menu", "cramp", "doctor"])
    assert re.findall(r"\b(MEDECIN|PREVENTION|DEFINITION|MAGNESIUM)\b", french) == []
    assert {"MÉDECIN", "PRÉVENTION", "DÉFINITION", "MAGNÉSIUM", "CHALEUR", "EXAMEN"} <= set(french.split())
