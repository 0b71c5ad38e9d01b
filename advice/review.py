"""Content governance services: drafts, four-eyes approval, keyword approval, source versions.

What is sent is TopicTranslation.sms_text / voice_text and the keywords not awaiting review;
these services are the only way a draft reaches them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advice.models import Keyword, Passage, Source, TextDraft, Topic, TopicTranslation
from advice.provenance import checksum, cited_positions, split_passages

User = AbstractBaseUser | AnonymousUser


def review_due_date(approved_on: datetime.date) -> datetime.date:
    years = settings.CONTENT_REVIEW_YEARS
    try:
        return approved_on.replace(year=approved_on.year + years)
    except ValueError:  # 29 February
        return approved_on.replace(year=approved_on.year + years, day=28)


def pending_draft(translation: TopicTranslation) -> TextDraft | None:
    return translation.drafts.filter(status=TextDraft.Status.PENDING).first()


def last_approval(translation: TopicTranslation) -> TextDraft | None:
    return translation.drafts.filter(status=TextDraft.Status.APPROVED).order_by("-reviewed_at", "-pk").first()


@transaction.atomic
def draft_save(
    *,
    translation: TopicTranslation,
    sms_text: str,
    voice_text: str,
    author: Any,
    note: str = "",
    voice_label: str | None = None,
) -> TextDraft | None:
    """Propose a text; it replaces any earlier pending draft. Nothing changes for what is sent.

    A proposal equal to the published text is no proposal (None); it withdraws a pending draft.
    The phone menu label is spoken too, so it goes through the same review (None: keep it).
    """
    label = translation.voice_label if voice_label is None else voice_label
    current = pending_draft(translation)
    if (sms_text, voice_text, label) == (translation.sms_text, translation.voice_text, translation.voice_label):
        if current is not None:  # changed back to what is published: the draft is withdrawn
            current.status = TextDraft.Status.SUPERSEDED
            current.save(update_fields=["status"])
        return None
    if current is not None:
        proposal = (sms_text, voice_text, label, author and author.pk)
        if (current.sms_text, current.voice_text, current.voice_label, current.author_id) == proposal:
            return current
        current.status = TextDraft.Status.SUPERSEDED
        current.save(update_fields=["status"])
    return TextDraft.objects.create(
        translation=translation,
        sms_text=sms_text,
        voice_text=voice_text,
        voice_label=label,
        author=author,
        note=note,
    )


def _check_reviewer(draft_author_id: int | None, reviewer: Any, permission: str) -> None:
    if not reviewer.has_perm(permission):
        raise PermissionDenied(_("Only a clinician can approve texts and keywords."))
    if draft_author_id is not None and draft_author_id == reviewer.pk:
        raise ValidationError(
            _("You wrote this change: another clinician has to approve it (four-eyes rule)."), code="own_change"
        )


@transaction.atomic
def draft_approve(*, draft: TextDraft, reviewer: Any) -> TopicTranslation:
    """Publish the draft: from now on every reply, reminder and advisory sends it."""
    draft = TextDraft.objects.select_for_update().select_related("translation").get(pk=draft.pk)
    if draft.status != TextDraft.Status.PENDING:
        raise ValidationError(_("This draft is no longer awaiting review."), code="not_pending")
    _check_reviewer(draft.author_id, reviewer, "advice.approve_textdraft")
    now = timezone.now()
    draft.status = TextDraft.Status.APPROVED
    draft.reviewer = reviewer
    draft.reviewed_at = now
    draft.save(update_fields=["status", "reviewer", "reviewed_at"])
    translation = draft.translation
    translation.sms_text = draft.sms_text
    translation.voice_text = draft.voice_text
    translation.voice_label = draft.voice_label
    translation.needs_review = False
    translation.review_due = review_due_date(timezone.localdate(now))
    translation.save()
    return translation


@transaction.atomic
def draft_return(*, draft: TextDraft, reviewer: Any, comment: str) -> TextDraft:
    """Send a draft back to its author with a comment; the published text stays."""
    draft = TextDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status != TextDraft.Status.PENDING:
        raise ValidationError(_("This draft is no longer awaiting review."), code="not_pending")
    if not comment.strip():
        raise ValidationError(_("Say what should change: the author reads this comment."), code="comment_required")
    _check_reviewer(draft.author_id, reviewer, "advice.approve_textdraft")
    draft.status = TextDraft.Status.RETURNED
    draft.reviewer = reviewer
    draft.reviewed_at = timezone.now()
    draft.comment = comment.strip()
    draft.save(update_fields=["status", "reviewer", "reviewed_at", "comment"])
    return draft


def draft_restore(*, version: Any, author: Any) -> TextDraft | None:
    """An earlier version of a translation (a history record), proposed again as a draft."""
    translation = TopicTranslation.objects.get(pk=version.id)
    when = timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M")
    return draft_save(
        translation=translation,
        sms_text=version.sms_text,
        voice_text=version.voice_text,
        voice_label=version.voice_label or None,  # a version from before labels keeps the current one
        author=author,
        note=_("restored from the version of %(when)s") % {"when": when},
    )


def keyword_changed(*, keyword: Keyword, author: Any) -> None:
    """A keyword saved by an editor waits for a clinician; until then the keyword index keeps
    its last approved form (from its history), and a new keyword is not matched at all."""
    if keyword.pk is not None:
        current = Keyword.objects.filter(pk=keyword.pk, pending_review=False).first()
        if current is not None and not Keyword.history.filter(id=keyword.pk, pending_review=False).exists():
            # Seeded by a migration, so without history: record the approved form first.
            Keyword.history.bulk_history_create([current], default_change_reason="approved before this change")
    keyword.pending_review = True
    keyword.changed_by = author
    keyword.approved_by = None


@transaction.atomic
def keyword_approve(*, keyword: Keyword, reviewer: Any) -> Keyword:
    keyword = Keyword.objects.select_for_update().get(pk=keyword.pk)
    if not keyword.pending_review:
        raise ValidationError(_("This keyword is not awaiting approval."), code="not_pending")
    _check_reviewer(keyword.changed_by_id, reviewer, "advice.approve_keyword")
    keyword.pending_review = False
    keyword.approved_by = reviewer
    keyword.save(update_fields=["pending_review", "approved_by"])
    return keyword


@transaction.atomic
def source_register(
    *,
    title: str,
    publisher: str,
    full_text: str,
    guide_year: int | None = None,
    updated_on: datetime.date | None = None,
    adapted_on: datetime.date | None = None,
) -> Source:
    """A new version of a source; every translation whose passages changed is flagged for review.

    Passages are matched by heading and text: a topic whose passages all appear unchanged in
    the new version is moved onto them silently; any other topic citing the old version gets
    its translations flagged, and a system draft of the published text for a clinician to
    re-approve (or an editor to rework first).
    """
    previous = Source.objects.filter(title=title).order_by("-version").first()
    source = Source.objects.create(
        title=title,
        publisher=publisher,
        version=(previous.version + 1) if previous else 1,
        guide_year=guide_year,
        updated_on=updated_on,
        adapted_on=adapted_on,
        full_text=full_text,
        sha256=checksum(full_text),
    )
    new_passages = [
        Passage.objects.create(source=source, position=p.position, heading=p.heading, text=p.text)
        for p in split_passages(full_text)
    ]
    if previous is None:
        return source
    by_content = {(p.heading, p.text.strip()): p for p in new_passages}
    for topic in Topic.objects.filter(passages__source=previous).distinct():
        old = list(topic.passages.filter(source=previous))
        kept = [by_content.get((p.heading, p.text.strip())) for p in old]
        if all(kept):
            topic.passages.remove(*old)
            topic.passages.add(*[p for p in kept if p is not None])
            continue
        # Cite the new version's passages at the same places; the clinician checks the wording.
        positions = {p.position for p in old}
        topic.passages.remove(*old)
        topic.passages.add(*[p for p in new_passages if p.position in positions])
        for translation in topic.translations.exclude(sms_text=""):
            translation.needs_review = True
            translation.save(update_fields=["needs_review"])
            if pending_draft(translation) is None:
                TextDraft.objects.create(
                    translation=translation,
                    sms_text=translation.sms_text,
                    voice_text=translation.voice_text,
                    voice_label=translation.voice_label,
                    author=None,
                    note=_("source %(title)s v%(version)d changed a passage this text renders")
                    % {"title": title, "version": source.version},
                )
    return source


def topic_link_passages(topic: Topic, source: Source) -> list[int]:
    """Link a topic to the passages its 'leaflet passage' note cites (used when seeding)."""
    passages = list(source.passages.all())
    positions = cited_positions(topic.source, split_passages(source.full_text))
    topic.passages.add(*[p for p in passages if p.position in positions])
    return positions
