"""Issue 10's content: every advice and reminder topic spoken in four languages, the voice prompts,
the menu digits, and the admin's spoken duration, all as 0014 seeds them."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from advice.models import Keyword, Language, TextDraft, Topic, TopicTranslation
from advice.voice import SAY_MAX_CHARACTERS, placeholders, spoken_seconds

LANGUAGES = {"nl", "fr", "de", "en"}
SPOKEN = [Topic.Kind.ADVICE, Topic.Kind.REMINDER]
# What a voice reads badly or wrongly aloud: symbols, brackets, digits (numbers are words here),
# list dashes (a hyphen inside a word, as in vingt-huit, is fine).
UNSPEAKABLE = re.compile(r"[/()*#\[\]<>&@%+=_\d\n•]|(?:^|\s)-")
# Keywords read out as keywords ("text KRAMP to ...") belong to SMS texts only.
TEXT_INSTRUCTION = {
    "en": r"\btext (?!message)",
    "nl": r"\bstuur [A-Z]",
    "fr": r"\benvoyez [A-Z]",
    "de": r"\bsenden Sie [A-Z]",
}
content: Any = importlib.import_module("advice.migrations.0014_voice_content")

needs_db = pytest.mark.django_db


def _read_aloud(text: str) -> str:
    """The text with the placeholders the code fills taken out."""
    return re.sub(r"\{[a-z_]+\}", "", text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", 0), ("   ", 0), ("one", 1), ("word " * 150, 60), ("word " * 151, 61), ("word " * 5, 2)],
)
def test_it_estimates_spoken_seconds_at_150_words_a_minute(text: str, seconds: int) -> None:
    assert spoken_seconds(text) == seconds


def test_it_finds_the_placeholders_a_prompt_leaves_to_the_code() -> None:
    assert placeholders("For {label}, press {digit}.") == {"label", "digit"}
    assert placeholders("Goodbye.") == set()


@needs_db
def test_every_advice_and_reminder_topic_is_spoken_in_all_four_languages() -> None:
    topics = Topic.objects.filter(kind__in=SPOKEN)
    assert topics.count() >= 13
    for topic in topics:
        spoken = {t.language_id for t in topic.translations.all() if t.voice_text.strip()}
        assert spoken == LANGUAGES, topic.slug


@needs_db
def test_every_prompt_exists_in_four_languages_with_exactly_its_placeholders() -> None:
    for slug, names in Topic.VOICE_PROMPTS.items():
        topic = Topic.objects.get(slug=slug)
        assert topic.kind == Topic.Kind.SYSTEM and slug in Topic.SYSTEM_SLUGS
        translations = list(topic.translations.all())
        assert {t.language_id for t in translations} == LANGUAGES, slug
        for translation in translations:
            assert translation.voice_text.strip(), (slug, translation.language_id)
            assert placeholders(translation.voice_text) == set(names), (slug, translation.language_id)
            # Never texted, but the model requires an SMS text: the same words.
            assert translation.sms_text == translation.voice_text, (slug, translation.language_id)


@needs_db
def test_no_spoken_text_has_what_reads_badly_aloud() -> None:
    spoken = TopicTranslation.objects.filter(topic__kind__in=SPOKEN) | TopicTranslation.objects.filter(
        topic__slug__in=list(Topic.VOICE_PROMPTS)
    )
    for translation in spoken.select_related("topic"):
        where = (translation.topic.slug, translation.language_id)
        for text in (translation.voice_text, translation.voice_label):
            aloud = _read_aloud(text)
            assert UNSPEAKABLE.findall(aloud) == [], where
            # "SMS" is the one exception, in French only: Belgian French speakers say "un SMS" as a
            # word, and "message écrit" could be a letter or an e-mail (the content review's finding).
            allowed = {"SMS"} if translation.language_id == "fr" else set()
            capitals = set(re.findall(r"\b[A-ZÄÖÜÉÈ]{2,}\b", aloud)) - allowed
            assert capitals == set(), ("a word in capitals", where)
            if not allowed:
                assert "sms" not in text.lower(), where
            if translation.topic.slug != Topic.VOICE_TEXT_OPTED_OUT:
                assert not re.search(TEXT_INSTRUCTION[translation.language_id], aloud), where
            assert "  " not in text and text == text.strip(), where
        assert len(translation.voice_text) < SAY_MAX_CHARACTERS, where
        assert spoken_seconds(translation.voice_text) <= 60, where


@needs_db
def test_voice_texts_keep_the_leaflets_conditions_and_hedges() -> None:
    voice = {(t.topic.slug, t.language_id): t.voice_text for t in TopicTranslation.objects.select_related("topic")}
    either = {"en": "or", "nl": "of", "fr": "ou", "de": "oder"}
    salt = {"en": "salt", "nl": "zout", "fr": "sel", "de": "Salz"}
    hedges = {
        ("about", "en"): "seem to",
        ("about", "nl"): "zouden",
        ("about", "fr"): "souffriraient",
        ("about", "de"): "sollen",
        ("magnesium", "en"): "nothing proves",
        ("doctor", "en"): "very often",
        ("causes", "en"): "most of the time, no trigger is found",
    }
    for slug in ["heat", "prevention", "reminder-salt-sugar"]:
        for language in LANGUAGES:
            [sentence] = [s for s in re.split(r"(?<=\.) ", voice[slug, language]) if salt[language] in s]
            assert not re.search(rf"\b{either[language]}\b", sentence), (slug, language, sentence)
    for (slug, language), hedge in hedges.items():
        assert hedge in voice[slug, language], (slug, language)


@needs_db
def test_the_opted_out_prompt_names_the_start_word_the_stop_confirmation_names() -> None:
    for translation in TopicTranslation.objects.filter(topic__slug=Topic.VOICE_TEXT_OPTED_OUT):
        starts = set(
            Keyword.objects.filter(action=Keyword.Action.START, language=translation.language_id).values_list(
                "normalized", flat=True
            )
        )
        named = {w.lower() for w in re.findall(r"\w+", translation.voice_text)} & starts
        confirmation = TopicTranslation.objects.get(topic__slug=Topic.OPTED_OUT, language=translation.language_id)
        assert named and named <= {w.lower() for w in re.findall(r"\w+", confirmation.sms_text)}, named


@needs_db
def test_menu_digits_are_seeded_unique_and_leave_the_menus_own_keys_free() -> None:
    digits = dict(Topic.objects.exclude(voice_digit=None).values_list("slug", "voice_digit"))
    assert digits == {"cramp": 1, "prevention": 2, "causes": 3, "doctor": 4, "about": 5, "magnesium": 6, "heat": 7}
    for slug in digits:
        labels = TopicTranslation.objects.filter(topic__slug=slug).exclude(voice_label="")
        assert {t.language_id for t in labels} == LANGUAGES, slug


@needs_db
@pytest.mark.parametrize("digit", [0, 8, 9, 10])
def test_an_editor_cannot_give_a_topic_the_menus_own_keys(digit: int) -> None:
    topic = Topic.objects.get(slug="source")
    topic.voice_digit = digit
    with pytest.raises(ValidationError) as error:
        topic.full_clean()
    assert "voice_digit" in error.value.message_dict


@needs_db
def test_an_editor_cannot_give_two_topics_one_digit() -> None:
    topic = Topic.objects.get(slug="source")
    topic.voice_digit = 1  # the cramp topic's
    with pytest.raises(ValidationError) as error:
        topic.full_clean()
    assert "voice_digit" in error.value.message_dict


@needs_db
def test_languages_carry_their_voice_and_speech_recognition() -> None:
    settings = {
        code: (s, v, r)
        for code, s, v, r in Language.objects.values_list("code", "voice_language", "voice_name", "speech_language")
    }
    assert settings == {
        "nl": ("nl-BE", "Polly.Lisa-Neural", "nl-NL"),
        "fr": ("fr-BE", "Polly.Isabelle-Neural", "fr-FR"),
        "de": ("de-DE", "Polly.Vicki-Neural", "de-DE"),
        "en": ("en-GB", "Polly.Amy-Neural", "en-GB"),
    }


@needs_db
def test_voice_texts_are_governed_like_every_other_text() -> None:
    for translation in TopicTranslation.objects.filter(topic__kind__in=SPOKEN).select_related("topic"):
        assert translation.review_due is not None
        approved = translation.drafts.filter(status=TextDraft.Status.APPROVED).order_by("-reviewed_at", "-pk").first()
        assert approved is not None and approved.voice_text == translation.voice_text, translation
        assert translation.topic.passages.exists(), translation.topic.slug
    for translation in TopicTranslation.objects.filter(topic__slug__in=list(Topic.VOICE_PROMPTS)):
        assert translation.review_due is not None and translation.drafts.filter(status="approved").exists()


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("editor", "editor@example.org", "pw"))
    return client


@needs_db
def test_the_topic_page_shows_each_voice_texts_spoken_duration(staff: Client) -> None:
    topic = Topic.objects.get(slug="magnesium")
    english = topic.translations.get(language="en").voice_text

    page = staff.get(f"/admin/advice/topic/{topic.pk}/change/").content.decode()

    assert f"about {spoken_seconds(english)} seconds spoken, {len(english)} characters" in page
    assert 'name="voice_digit"' in page and 'name="translations-0-voice_label"' in page


@needs_db
def test_the_topic_list_flags_missing_voice_texts(staff: Client) -> None:
    TopicTranslation.objects.filter(topic__slug="reminder-stretch", language="de").update(voice_text="")

    page = staff.get("/admin/advice/topic/?kind__exact=reminder").content.decode()

    assert '<strong style="color:#ba2121">de</strong>' in page


@needs_db
def test_voice_prompts_cannot_be_deleted_in_the_admin(staff: Client) -> None:
    topic = Topic.objects.get(slug=Topic.VOICE_GREETING)

    assert staff.get(f"/admin/advice/topic/{topic.pk}/delete/").status_code == 403


BEFORE = [("advice", "0013_privacy_notice")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_is_reversible_and_keeps_an_editors_voice_text() -> None:
    edited = "Drink enough. Written by an editor."
    try:
        _migrate(BEFORE)
        assert not Topic.objects.filter(slug__in=list(content.PROMPTS)).exists()
        TopicTranslation.objects.filter(topic__slug="magnesium", language_id="en").update(voice_text=edited)

        _migrate(_latest())

        voice = dict(TopicTranslation.objects.filter(language_id="en").values_list("topic__slug", "voice_text"))
        assert voice["magnesium"] == edited
        assert voice["cramp"] == content.VOICE_TEXTS["cramp"]["en"]
        assert set(content.PROMPTS) <= set(Topic.objects.values_list("slug", flat=True))

        _migrate(BEFORE)

        assert not Topic.objects.filter(slug__in=list(content.PROMPTS)).exists()
        assert not TextDraft.objects.filter(note=content.NOTE).exists()
        remaining = dict(TopicTranslation.objects.filter(language_id="en").values_list("topic__slug", "voice_text"))
        assert remaining["magnesium"] == edited
        assert remaining["cramp"] == ""
    finally:
        _migrate(_latest())


@needs_db
def test_a_voice_prompt_is_edited_by_its_voice_text_alone_with_exactly_its_placeholders() -> None:
    from advice.admin import TranslationForm

    item = TopicTranslation.objects.get(topic__slug=Topic.VOICE_MENU_ITEM, language="en")
    base = {"language": "en", "sms_text": "ignored", "voice_label": ""}

    wrong = TranslationForm(data={**base, "voice_text": "For {label}, press one."}, instance=item)
    right = TranslationForm(data={**base, "voice_text": "For {label}, please press {digit}."}, instance=item)

    assert not wrong.is_valid() and "voice_text" in wrong.errors
    assert right.is_valid(), right.errors
    assert right.cleaned_data["sms_text"] == "For {label}, please press {digit}."


@needs_db
def test_a_voice_text_longer_than_one_say_is_refused() -> None:
    from advice.admin import TranslationForm

    cramp = TopicTranslation.objects.get(topic__slug="cramp", language="en")
    form = TranslationForm(
        data={"language": "en", "sms_text": cramp.sms_text, "voice_text": "Stretch. " * 400, "voice_label": ""},
        instance=cramp,
    )

    assert not form.is_valid() and "voice_text" in form.errors


@needs_db
def test_a_menu_label_is_spoken_so_it_waits_for_a_clinicians_approval() -> None:
    from advice import review

    editor = User.objects.create_user("editor", password="pw")
    clinician = User.objects.create_superuser("clinician", "c@example.org", "pw")
    cramp = TopicTranslation.objects.get(topic__slug="cramp", language="en")
    published = cramp.voice_label

    draft = review.draft_save(
        translation=cramp,
        sms_text=cramp.sms_text,
        voice_text=cramp.voice_text,
        voice_label="help with a cramp",
        author=editor,
    )
    assert draft is not None
    assert TopicTranslation.objects.get(pk=cramp.pk).voice_label == published

    review.draft_approve(draft=draft, reviewer=clinician)

    assert TopicTranslation.objects.get(pk=cramp.pk).voice_label == "help with a cramp"


@needs_db
def test_the_spoken_example_is_a_word_the_service_understands_in_that_language() -> None:
    from advice.selectors import keyword_index

    index = keyword_index()
    for translation in TopicTranslation.objects.filter(topic__slug=Topic.VOICE_MENU_SPEECH):
        example = translation.voice_text.rstrip(".").split()[-1]
        match = index.match(example, preferred_language=translation.language_id)
        assert match is not None and match.language == translation.language_id, (translation.language_id, example)


@needs_db
def test_a_voice_prompts_page_offers_only_its_voice_text_to_edit(staff: Client) -> None:
    topic = Topic.objects.get(slug=Topic.VOICE_MENU_ITEM)

    page = staff.get(f"/admin/advice/topic/{topic.pk}/change/").content.decode()

    assert re.search(r'<textarea name="translations-0-sms_text"[^>]*disabled', page)
    assert "A voice prompt is never texted" in page
