"""What every seeded text costs, after all migrations: advice at most 3 SMS segments, the menu 2,
a reminder exactly 1, other service messages 2, with placeholders filled at their worst."""

from __future__ import annotations

import pytest

from advice.models import Topic, TopicTranslation
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
        "menu (en): 14 characters, GSM-7, 1 segments (budget: at most 2); no worst case for {unknown}",
    ]


def test_the_readme_table_has_a_row_per_topic() -> None:
    table = markdown_table().splitlines()

    assert table[0] == "| Topic | Budget | nl | fr | de | en |"
    assert len(table) == 2 + Topic.objects.count()
    assert "| `doctor-exam` | <= 3 | 222 GSM-7 2 | 201 UCS-2 3 | 238 GSM-7 2 | 232 GSM-7 2 |" in table
