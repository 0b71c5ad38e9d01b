"""0013_privacy_notice on a database as the earlier migrations left it: the storage line as a
new service text, the texts shortened to make room for it, an editor's edit kept, both ways."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from advice.models import TextDraft, Topic, TopicTranslation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

notice: Any = importlib.import_module("advice.migrations.0013_privacy_notice")
BEFORE = list(notice.Migration.dependencies)
EDITED = ("menu", "en")
EDITED_TEXT = "HELP: text CRAMP. (Written by an editor in the admin.)"


def migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def text(slug: str, language: str) -> str:
    return TopicTranslation.objects.values_list("sms_text", flat=True).get(topic__slug=slug, language_id=language)


def shortened() -> list[tuple[str, str, str, str]]:
    return [
        (slug, language, old, new)
        for slug, by_language in notice.TEXTS.items()
        for language, (old, new) in by_language.items()
        if (slug, language) != EDITED
    ]


def test_it_shortens_what_earlier_migrations_left_and_never_an_editors_edit(caplog: Any) -> None:
    try:
        migrate(BEFORE)
        # OLD is exactly what 0002, 0004 and 0006 left.
        for slug, by_language in notice.TEXTS.items():
            for language, (old, _new) in by_language.items():
                assert text(slug, language) == old, (slug, language)
        assert not Topic.objects.filter(slug=Topic.PRIVACY_NOTICE).exists()
        TopicTranslation.objects.filter(topic__slug=EDITED[0], language_id=EDITED[1]).update(sms_text=EDITED_TEXT)

        with caplog.at_level(logging.WARNING):
            migrate(latest())

        assert text(*EDITED) == EDITED_TEXT
        assert "menu (en) is not the text this migration expects" in caplog.text
        for slug, language, _old, new in shortened():
            assert text(slug, language) == new, (slug, language)
            # Recorded as published by the system, as every seeded text is (0010).
            latest_draft = TextDraft.objects.filter(translation__topic__slug=slug, translation__language_id=language)
            assert latest_draft.values_list("sms_text", "status", "author", "reviewer").first() == (
                new,
                "approved",
                None,
                None,
            )
            assert TopicTranslation.history.filter(sms_text=new, history_type="~").exists()
        assert text(Topic.PRIVACY_NOTICE, "nl") == "We bewaren uw nummer. Wissen: stuur VERGEET MIJ."
        assert TextDraft.objects.filter(translation__topic__slug=Topic.PRIVACY_NOTICE, status="approved").count() == 4
        assert "migration 0013" in TextDraft.objects.filter(translation__topic__slug=Topic.PRIVACY_NOTICE)[0].note

        migrate(BEFORE)  # and back: OLD where the text is still NEW, the edit untouched

        assert text(*EDITED) == EDITED_TEXT
        for slug, language, old, _new in shortened():
            assert text(slug, language) == old, (slug, language)
        assert not Topic.objects.filter(slug=Topic.PRIVACY_NOTICE).exists()
    finally:
        migrate(latest())


def test_a_fresh_database_gets_the_line_and_every_shortened_text() -> None:
    for slug, language, _old, new in [*shortened(), (*EDITED, "", notice.TEXTS["menu"]["en"][1])]:
        assert text(slug, language) == new, (slug, language)
    for language, line in notice.NOTICE.items():
        assert text(Topic.PRIVACY_NOTICE, language) == line
