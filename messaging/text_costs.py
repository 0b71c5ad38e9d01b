"""What each text costs to send: characters, encoding and SMS segments per topic and language.

Budgets (issue 7): an advice reply at most 3 segments, the menu at most 2, a reminder exactly 1
(it goes to everyone with reminders, several times a day), any other service message at most 2. A
text with placeholders is measured as people receive it at worst: filled with the most
reminder times, the longest zone name, the longest unreadable input a reply quotes. A text
that can carry the storage line (messaging.privacy_notice: any reply can be a new contact's
first, and `reminders-on` always carries it) is measured with the line under it.

tests/test_content_budget.py holds every translation to its budget; the README's table is
printed by

    ./run shell -c "from messaging.text_costs import markdown_table; print(markdown_table())"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.conf import settings

from advice.encoding import SmsSize, fill_placeholders, render_sms_text, sms_size
from advice.models import Language, Topic, TopicTranslation
from contacts.time_zones import zone_city
from messaging.privacy_notice import can_carry_privacy_notice, with_privacy_notice

BUDGETS = {Topic.Kind.ADVICE: 3, Topic.Kind.REMINDER: 1, Topic.Kind.SYSTEM: 2}
MENU_BUDGET = 2
UNREADABLE_INPUT_CHARACTERS = 60  # reminders.services.check_times quotes at most this much
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class TextCost:
    slug: str
    kind: str
    language: str
    size: SmsSize
    budget: int
    unfilled: tuple[str, ...]  # placeholders this module has no worst case for
    privacy_notice: bool = False  # measured with the storage line under it

    @property
    def exact(self) -> bool:
        """A reminder must be exactly its budget (one segment), not merely within it."""
        return self.kind == Topic.Kind.REMINDER

    @property
    def within_budget(self) -> bool:
        if self.unfilled or self.size.segments == 0:
            return False
        return self.size.segments == self.budget if self.exact else self.size.segments <= self.budget

    def describe(self) -> str:
        limit = f"exactly {self.budget}" if self.exact else f"at most {self.budget}"
        line = " with the storage line" if self.privacy_notice else ""
        text = (
            f"{self.slug} ({self.language}){line}: {self.size.characters} characters, {self.size.encoding}, "
            f"{self.size.segments} segments (budget: {limit})"
        )
        return text + (f"; no worst case for {', '.join(self.unfilled)}" if self.unfilled else "")


def budget_for(topic: Topic) -> int:
    return MENU_BUDGET if topic.slug == Topic.MENU else BUDGETS[Topic.Kind(topic.kind)]


def worst_case_params(language: str) -> dict[str, str]:
    """The longest realistic values of every placeholder, for a text in `language`."""
    most = int(settings.REMINDER_MAX_TIMES)
    times = ", ".join(f"{(8 + i) % 24:02d}:30" for i in range(most))
    zones = [zone_city(key) for key in available_timezones()]
    zones += TopicTranslation.objects.filter(topic__slug=Topic.ZONE_LOCAL, language_id=language).values_list(
        "sms_text", flat=True
    )
    unreadable = ", ".join(["25:99"] * UNREADABLE_INPUT_CHARACTERS)[:UNREADABLE_INPUT_CHARACTERS]
    return {
        "times": times,
        "zone": max(zones, key=lambda zone: sms_size(zone).units),
        "input": max(times, unreadable, key=len),
        "start": "21:00",
        "end": "08:00",
        "max": str(most),
        "date": "28/02/2027",
    }


def text_costs() -> list[TextCost]:
    """Every translation's cost, in the admin's order (kind, position) and by language priority."""
    params = {code: worst_case_params(code) for code in Language.objects.values_list("code", flat=True)}
    costs = []
    translations = TopicTranslation.objects.select_related("topic", "language").order_by(
        "topic__kind", "topic__position", "topic__slug", "language__priority"
    )
    for translation in translations:
        filled = fill_placeholders(translation.sms_text, params.get(translation.language_id, {}))
        body = render_sms_text(filled)
        notice = can_carry_privacy_notice(translation.topic.slug, translation.topic.kind)
        if notice:
            body = with_privacy_notice(body, translation.language_id, topic=translation.topic.slug, first_reply=True)
        costs.append(
            TextCost(
                slug=translation.topic.slug,
                kind=translation.topic.kind,
                language=translation.language_id,
                size=sms_size(body),
                budget=budget_for(translation.topic),
                unfilled=tuple(_PLACEHOLDER.findall(body)),
                privacy_notice=notice,
            )
        )
    return costs


def markdown_table() -> str:
    """The README's table: one row per topic, one column per language; "with it": measured with
    the storage line (a new contact's first reply, a reminder confirmation)."""
    costs = text_costs()
    languages = list(Language.objects.values_list("code", flat=True))
    rows: dict[str, dict[str, TextCost]] = {}
    for cost in costs:
        if cost.slug in Topic.VOICE_PROMPTS:
            continue  # spoken on calls, never texted
        rows.setdefault(cost.slug, {})[cost.language] = cost
    lines = [
        "| Topic | Budget | Storage line | " + " | ".join(languages) + " |",
        "|---|---|---|" + "---|" * len(languages),
    ]
    for slug, by_language in rows.items():
        first = next(iter(by_language.values()))
        budget = f"{'=' if first.exact else '<='} {first.budget}"
        cells = [
            f"{c.size.characters} {c.size.encoding} {c.size.segments}" if (c := by_language.get(code)) else "-"
            for code in languages
        ]
        line = "with it" if first.privacy_notice else "-"
        lines.append(f"| `{slug}` | {budget} | {line} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
