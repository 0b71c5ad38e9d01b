"""What an advisory will send, before it is sent: the text each language gets and how many
people receive it, by SMS and by call (a selector: reads only).

The text is the one planning would use (advice.selectors.topic_text, with its fallback to the
default language), rendered as sent; recipients are `advisories.active_plans()` by language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text, sms_size
from advice.models import Language, Topic
from reminders.advisories import active_plans


@dataclass(frozen=True)
class LanguagePreview:
    language: str  # the recipients' language ("" when they have none yet)
    name: str
    text_language: str  # the text's language: another one when the topic lacks theirs
    text: str
    segments: int
    encoding: str
    by_sms: int
    by_call: int


@dataclass(frozen=True)
class AdvisoryPreview:
    languages: list[LanguagePreview]
    by_sms: int
    by_call: int
    without_text: int  # recipients whose language (and every fallback) has no text: not sent


def advisory_preview(*, topic: Topic) -> AdvisoryPreview:
    counts: dict[str | None, int] = dict(
        active_plans()
        .values_list("contact__language_id")
        .annotate(n=Count("pk"))
        .values_list("contact__language_id", "n")
    )
    names = dict(Language.objects.values_list("code", "name"))
    order: list[str | None] = list(Language.objects.order_by("priority", "code").values_list("code", flat=True))
    # The configured languages first, then any other a contact has, then contacts without one.
    codes = [*order, *sorted(code for code in counts if code and code not in order)]
    if None in counts:
        codes.append(None)
    languages: list[LanguagePreview] = []
    without_text = 0
    for code in codes:
        found = advice_selectors.topic_text(topic.slug, code)
        recipients = counts.get(code, 0)
        if found is None:
            without_text += recipients
            continue
        body = render_sms_text(found.sms_text)
        size = sms_size(body)
        languages.append(
            LanguagePreview(
                language=code or "",
                name=names.get(code or "", code or "-"),
                text_language=found.language,
                text=body,
                segments=size.segments,
                encoding=size.encoding,
                # Advisories go by SMS: a reminder by call is the voice channel's (issue 10), and
                # an advisory call would be counted here once it exists.
                by_sms=recipients,
                by_call=0,
            )
        )
    return AdvisoryPreview(
        languages=languages,
        by_sms=sum(row.by_sms for row in languages),
        by_call=sum(row.by_call for row in languages),
        without_text=without_text,
    )
