"""0006_clinical_corrections on a database as the earlier migrations left it: corrected texts,
an admin's edit kept, both ways."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from advice.models import Keyword, TextDraft, Topic, TopicTranslation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("advice", "0005_keyword_whole_message_only")]
corrections: Any = importlib.import_module("advice.migrations.0006_clinical_corrections")
# A later migration that shortens some of these texts again (where they are still as 0006 left them).
privacy_notice: Any = importlib.import_module("advice.migrations.0013_privacy_notice")
EDITED = ("heat", "en")
EDITED_TEXT = "Hot weather: drink enough. (Written by an editor in the admin.)"


def migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def text(slug: str, language: str) -> str:
    # Only the column every migration has: later ones add columns the model already knows.
    return TopicTranslation.objects.values_list("sms_text", flat=True).get(topic__slug=slug, language_id=language)


def now(slug: str, language: str, new: str) -> str:
    """The text after every migration: 0006's NEW, unless a later migration changed it since."""
    later_old, later_new = privacy_notice.TEXTS.get(slug, {}).get(language, (None, None))
    return later_new if later_old == new else new


def corrected() -> list[tuple[str, str, str, str]]:
    return [
        (slug, language, old, new)
        for slug, by_language in corrections.TEXTS.items()
        for language, (old, new) in by_language.items()
        if (slug, language) != EDITED
    ]


def test_it_corrects_what_earlier_migrations_seeded_and_never_an_admins_edit(caplog: Any) -> None:
    try:
        migrate(BEFORE)
        # OLD is exactly what 0002 and 0004 left (the menus with 0004's reminder line).
        for slug, by_language in corrections.TEXTS.items():
            for language, (old, _new) in by_language.items():
                assert text(slug, language) == old, (slug, language)
        assert not Topic.objects.filter(slug__in=["doctor-exam", "zone-local"]).exists()
        TopicTranslation.objects.filter(topic__slug=EDITED[0], language_id=EDITED[1]).update(sms_text=EDITED_TEXT)

        with caplog.at_level(logging.WARNING):
            migrate(latest())

        assert text(*EDITED) == EDITED_TEXT
        assert "heat (en) is not the text this migration expects" in caplog.text
        # An existing database keeps its texts, each recorded as approved by the system (0010).
        # (0014 records the voice text it adds beside it the same way.)
        assert set(
            TextDraft.objects.filter(
                translation__topic__slug=EDITED[0], translation__language_id=EDITED[1], sms_text=EDITED_TEXT
            ).values_list("status", "author", "reviewer")
        ) == {("approved", None, None)}
        for slug, language, _old, new in corrected():
            assert text(slug, language) == now(slug, language, new), (slug, language)
        assert text("zone-local", "nl") == "Belgische tijd"
        onderzoek = Keyword.objects.get(normalized="onderzoek", language="nl")
        assert (onderzoek.topic.slug, onderzoek.whole_message_only) == ("doctor-exam", True)  # also "research"
        assert not Keyword.objects.get(normalized="examen", language="fr").whole_message_only
        assert Topic.objects.get(slug="doctor").name == "When to see a doctor, and what the doctor can do"

        migrate(BEFORE)  # and back: OLD where the text is still NEW, the edit untouched

        assert text(*EDITED) == EDITED_TEXT
        for slug, language, old, _new in corrected():
            assert text(slug, language) == old, (slug, language)
        assert not Topic.objects.filter(slug__in=["doctor-exam", "zone-local"]).exists()
        assert not Keyword.objects.filter(normalized__in=["exam", "examen", "onderzoek", "untersuchung"]).exists()
    finally:
        migrate(latest())


def test_a_fresh_database_gets_every_correction() -> None:
    for slug, language, _old, new in [*corrected(), (*EDITED, "", corrections.TEXTS["heat"]["en"][1])]:
        assert text(slug, language) == now(slug, language, new), (slug, language)
