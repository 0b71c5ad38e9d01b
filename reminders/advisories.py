"""Advisories: one topic (the leaflet's heat and effort advice) sent once to every contact with reminders on.

Starting one records a Broadcast; planning then creates one pending message per active
contact, in their language, chunk by chunk (resumable: the broadcast remembers the last
contact planned, and a message is unique per broadcast and contact, so planning twice
creates nothing twice). The bulk senders send them under the same rate limit and rules as
reminders; an advisory that reaches someone in their quiet hours waits until morning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text
from advice.models import Topic
from messaging import outbound
from messaging.models import Message
from reminders.models import Broadcast, ReminderPlan

logger = logging.getLogger(__name__)

CHUNK = 2000
# The same advisory twice within this time is refused: a double click must not send twice.
REPEAT_AFTER = timedelta(hours=12)


class AdvisoryRefused(Exception):
    pass


def active_plans() -> QuerySet[ReminderPlan]:
    """Reminder plans that are on, not paused, of contacts reachable the way they chose (texts,
    or calls for people who chose reminder calls): who an advisory goes to."""
    now = timezone.now()
    callable_ = Q(
        channel=ReminderPlan.Channel.VOICE,
        contact__calls_opted_out=False,
        contact__voice_undeliverable_at__isnull=True,
    )
    return (
        ReminderPlan.objects.filter(next_reminder_at__isnull=False, contact__sms_opted_out=False)
        .filter(Q(contact__sms_undeliverable_at__isnull=True) | callable_)
        .filter(Q(paused_at__isnull=True) | Q(paused_until__lte=now))
    )


def advisory_check(*, topic: Topic) -> None:
    """Raise AdvisoryRefused when `topic` cannot be sent as an advisory now."""
    if topic.kind == Topic.Kind.SYSTEM:
        raise AdvisoryRefused(f"{topic} is a service message, not advice")
    if advice_selectors.topic_text(topic.slug, None) is None:
        raise AdvisoryRefused(f"{topic} has no text in any language")
    recent = Broadcast.objects.filter(topic=topic, created_at__gte=timezone.now() - REPEAT_AFTER).first()
    if recent is not None:
        raise AdvisoryRefused(
            # In local time, as the admin's lists show it (settings.TIME_ZONE), never UTC.
            f"{topic} was already sent as an advisory at {timezone.localtime(recent.created_at):%Y-%m-%d %H:%M}; "
            f"the same advisory is refused for {REPEAT_AFTER.total_seconds() / 3600:g} hours"
        )


def advisory_start(*, topic: Topic, started_by: object | None = None) -> Broadcast:
    """Record a new advisory of `topic`; the caller queues its planning once this commits."""
    advisory_check(topic=topic)
    broadcast = Broadcast.objects.create(topic=topic, created_by=started_by)  # type: ignore[misc]
    logger.info("advisory %s started: %s", broadcast.pk, topic.slug)
    return broadcast


def advisory_plan(*, broadcast_id: int, max_chunks: int | None = None) -> int:
    """Create the advisory's messages; returns how many rows this call wrote (conflicts ignored)."""
    created = 0
    chunks = 0
    texts: dict[tuple[str | None, bool], tuple[str, str, str] | None] = {}
    while max_chunks is None or chunks < max_chunks:
        with transaction.atomic():
            broadcast = (
                Broadcast.objects.select_for_update(skip_locked=True)
                .filter(pk=broadcast_id, state=Broadcast.State.PLANNING)
                .first()
            )
            if broadcast is None:  # done, or another worker is planning it now
                return created
            recipients = list(
                active_plans()
                .filter(pk__gt=broadcast.planned_up_to)
                .order_by("pk")
                .values_list(
                    "pk",
                    "contact__phone_number",
                    "contact__language_id",
                    "channel",
                    "contact__calls_opted_out",
                    "contact__voice_undeliverable_at",
                )[:CHUNK]
            )
            if not recipients:
                broadcast.state = Broadcast.State.SENDING
                broadcast.save(update_fields=["state"])
                logger.info("advisory %s planned: %s recipients", broadcast.pk, broadcast.total)
                return created
            rows = [
                _message(
                    broadcast, texts, pk, number, language, by_call=channel == "voice" and not no_calls and not bad
                )
                for pk, number, language, channel, no_calls, bad in recipients
            ]
            made = outbound.messages_schedule([row for row in rows if row is not None])
            broadcast.planned_up_to = recipients[-1][0]
            broadcast.total = Message.objects.filter(broadcast=broadcast).count()
            broadcast.save(update_fields=["planned_up_to", "total"])
            created += len(made)
            chunks += 1
    return created


def _message(
    broadcast: Broadcast,
    texts: dict[tuple[str | None, bool], tuple[str, str, str] | None],
    contact_id: int,
    phone_number: str,
    language: str | None,
    by_call: bool = False,
) -> Message | None:
    """The advisory's row for one contact: a call saying the topic's voice text to people who
    chose reminder calls (placed by reminders.calls), else a text."""
    key = (language, bool(by_call))
    if key not in texts:
        text = advice_selectors.topic_text(broadcast.topic.slug, language)
        if text is None:
            texts[key] = None
        elif by_call and text.voice_text.strip():
            texts[key] = (text.language, " ".join(text.voice_text.split()), Message.Channel.VOICE)
        else:
            texts[key] = (text.language, render_sms_text(text.sms_text), Message.Channel.SMS)
    found = texts[key]
    if found is None:
        return None
    text_language, body, channel = found
    row = outbound.message_new(
        channel=channel,
        purpose=Message.Purpose.ADVISORY,
        contact_id=contact_id,
        phone_number=phone_number,
        body=body,
        broadcast=broadcast,
        language=text_language,
        topic_id=broadcast.topic_id,
    )
    if channel == Message.Channel.VOICE:  # spoken: no SMS segments
        row.encoding, row.segments = "", None
    return row


def advisories_resume_planning(*, queue_planning: Callable[[int], object]) -> None:
    """Queue planning again for advisories still being planned (a planning task may be lost)."""
    for broadcast_id in Broadcast.objects.filter(state=Broadcast.State.PLANNING).values_list("pk", flat=True):
        queue_planning(broadcast_id)


def advisories_mark_done() -> None:
    for broadcast in Broadcast.objects.filter(state=Broadcast.State.SENDING):
        waiting = Message.objects.filter(
            broadcast=broadcast, state__in=[Message.State.PENDING, Message.State.SENDING]
        ).exists()
        if not waiting:
            Broadcast.objects.filter(pk=broadcast.pk, state=Broadcast.State.SENDING).update(
                state=Broadcast.State.DONE, finished_at=timezone.now()
            )
            logger.info("advisory %s done", broadcast.pk)


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int  # accepted by Twilio
    failed: int
    not_sent: int  # opted out, paused or undeliverable since planning
    waiting: int  # still to send (including those held until the quiet hours end)


def advisory_progress(broadcast: Broadcast) -> Progress:
    counts = dict(
        Message.objects.filter(broadcast=broadcast)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return Progress(
        total=max(broadcast.total, sum(counts.values())),
        sent=counts.get(Message.State.SUBMITTED, 0),
        failed=counts.get(Message.State.FAILED, 0) + counts.get(Message.State.GAVE_UP, 0),
        not_sent=counts.get(Message.State.CANCELLED, 0) + counts.get(Message.State.MISSED, 0),
        waiting=counts.get(Message.State.PENDING, 0) + counts.get(Message.State.SENDING, 0),
    )
