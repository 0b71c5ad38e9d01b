"""What every seeded text costs, after all migrations: advice at most 3 SMS segments, the menu 2,
a reminder exactly 1, other service messages 2, with placeholders filled at their worst and,
for every text that can be a new contact's first reply or is a reminder confirmation, with the
storage line under it."""

from __future__ import annotations

import pytest

from advice.encoding import fill_placeholders, is_gsm7, render_sms_text, sms_size
from advice.models import Keyword, Topic, TopicTranslation
from advice.selectors import keyword_index
from messaging.text_costs import TextCost, markdown_table, text_costs, worst_case_params

pytestmark = pytest.mark.django_db


def texted(costs: list[TextCost]) -> list[TextCost]:
    """Voice prompts are never texted (their SMS text only repeats the spoken words): no budget."""
    return [cost for cost in costs if cost.slug not in Topic.VOICE_PROMPTS]


def test_every_seeded_text_is_within_its_budget() -> None:
    costs = text_costs()
    offenders = [cost.describe() for cost in texted(costs) if not cost.within_budget]

    assert len(costs) == TopicTranslation.objects.count()
    assert offenders == [], "over budget:\n" + "\n".join(offenders)


def test_placeholders_are_measured_at_their_worst() -> None:
    french = worst_case_params("fr")

    assert french["times"] == "08:30, 09:30, 10:30, 11:30, 12:30, 13:30"  # REMINDER_MAX_TIMES = 6
    assert len(french["zone"]) >= len("heure belge")
    assert len(french["zone"]) >= len("Port-au-Prince")  # the longest city among the IANA zones
    assert len(french["input"]) == 60


def test_it_names_each_offender_with_its_size() -> None:
    too_long = "Rappel : " + "buvez suffisamment. " * 10
    TopicTranslation.objects.filter(topic__slug="reminder-drink", language="fr").update(sms_text=too_long)
    TopicTranslation.objects.filter(topic__slug="menu", language="en").update(sms_text="HELP {unknown}")

    offenders = [cost.describe() for cost in texted(text_costs()) if not cost.within_budget]

    assert offenders == [
        "reminder-drink (fr): 208 characters, GSM-7, 2 segments (budget: exactly 1)",
        "menu (en) with the storage line: 61 characters, GSM-7, 1 segments (budget: at most 2); "
        "no worst case for {unknown}",
    ]


def test_the_readme_table_has_a_row_per_topic() -> None:
    table = markdown_table().splitlines()

    assert table[0] == "| Topic | Budget | Storage line | nl | fr | de | en |"
    assert len(table) == 2 + Topic.objects.exclude(slug__in=list(Topic.VOICE_PROMPTS)).count()
    assert "| `doctor-exam` | <= 3 | with it | 271 GSM-7 2 | 201 UCS-2 3 | 298 GSM-7 2 | 279 GSM-7 2 |" in table
    assert "| `forgotten` | <= 2 | - | 124 GSM-7 1 | 138 GSM-7 1 | 132 GSM-7 1 | 118 GSM-7 1 |" in table


def test_every_reply_is_measured_with_the_storage_line_under_it() -> None:
    """Any reply can be a new contact's first; FORGET's confirmation and reminders never carry it."""
    measured = {(cost.slug, cost.language): cost for cost in text_costs()}
    notices = dict(
        TopicTranslation.objects.filter(topic__slug=Topic.PRIVACY_NOTICE).values_list("language_id", "sms_text")
    )

    for translation in TopicTranslation.objects.select_related("topic"):
        cost = measured[(translation.topic.slug, translation.language_id)]
        carries = translation.topic.kind != Topic.Kind.REMINDER and translation.topic.slug not in {
            Topic.FORGOTTEN,
            Topic.ZONE_LOCAL,
            Topic.PRIVACY_NOTICE,
        }
        assert cost.privacy_notice == carries, cost.describe()
        if carries:
            filled = fill_placeholders(translation.sms_text, worst_case_params(translation.language_id))
            with_line = render_sms_text(filled) + "\n" + notices[translation.language_id]
            assert cost.size == sms_size(with_line), cost.describe()


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_storage_line_is_one_short_gsm_line_naming_that_languages_forget_word(language: str) -> None:
    notice = TopicTranslation.objects.get(topic__slug=Topic.PRIVACY_NOTICE, language_id=language).sms_text
    forget_word = {"nl": "VERGEET MIJ", "fr": "OUBLIEZ-MOI", "de": "VERGISS MICH", "en": "FORGET"}[language]

    assert "\n" not in notice and is_gsm7(notice) and sms_size(notice).segments == 1
    assert forget_word in notice
    match = keyword_index().match(forget_word, preferred_language=language)
    assert match is not None and (match.action, match.language) == (Keyword.Action.FORGET, language)
    health_words = ("kramp", "cramp", "krampf", "spier", "muscle", "muskel", "leg", "been", "jambe", "bein")
    assert not any(word in notice.lower().split() for word in health_words)
