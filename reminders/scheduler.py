"""The reminder scheduler: turns due reminder plans into message rows, exactly once.

One periodic task (the tick) runs this for everyone; there is no task per contact and
no Celery ETA. Each reminder plan carries its next occurrence (`next_reminder_at`, index-
backed), so a tick reads only the rows that are due. A chunk of due plans is claimed, with
their contacts, with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL: two ticks racing take
different contacts; SQLite serialises writers, so the second tick finds them already
advanced). In the same transaction each claimed plan gets one message row per occurrence,
unique on (contact, local slot), and its next occurrence; a tick that dies rolls all of it back.

An occurrence more than REMINDER_GRACE_MINUTES late (after downtime) is recorded as missed,
not sent at the wrong hour.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text
from advice.models import Topic, TopicTranslation
from contacts.models import Contact
from messaging import outbound
from messaging.models import Message
from messaging.rows import update_rows
from reminders import services
from reminders.models import ReminderPlan
from reminders.schedule import SLOT_FORMAT, QuietHours, next_occurrence

logger = logging.getLogger(__name__)

CHUNK = 1000  # plans claimed per transaction
MAX_OCCURRENCES = 50  # per plan and tick, after a long outage


@dataclass
class Planned:
    contacts: int = 0
    pending: int = 0
    missed: int = 0
    chunks: int = 0


class ReminderTexts:
    """The reminder topics in turn order, with their text in each language (read once a tick)."""

    def __init__(self) -> None:
        self.topics = list(Topic.objects.filter(kind=Topic.Kind.REMINDER).order_by("position", "slug"))
        self.order = {topic.pk: index for index, topic in enumerate(self.topics)}
        texts: dict[int, dict[str, str]] = defaultdict(dict)
        spoken: dict[int, dict[str, str]] = defaultdict(dict)
        for topic_id, language, text, voice_text in TopicTranslation.objects.filter(
            topic__kind=Topic.Kind.REMINDER
        ).values_list("topic_id", "language_id", "sms_text", "voice_text"):
            if text.strip():
                texts[topic_id][language] = render_sms_text(text)
                # A call says the voice text (the SMS text where an editor left it empty).
                spoken[topic_id][language] = " ".join(voice_text.split()) or texts[topic_id][language]
        self.texts = texts
        self.spoken = spoken
        self._chains: dict[str | None, list[str]] = {}

    def next_topic(self, last_topic_id: int | None) -> Topic | None:
        """The topic after the last one sent: never the same twice in a row while there are two."""
        if not self.topics:
            return None
        index = self.order.get(last_topic_id, -1) if last_topic_id is not None else -1
        return self.topics[(index + 1) % len(self.topics)]

    def text(self, topic: Topic, language: str | None, *, spoken: bool = False) -> tuple[str, str] | None:
        """(language, text) after the usual fallback, or None when the topic has no text at all.

        `spoken`: the text a reminder call says (its voice text) rather than the SMS text.
        """
        chain = self._chains.get(language)
        if chain is None:
            chain = self._chains[language] = advice_selectors.fallback_languages(language)
        by_language = (self.spoken if spoken else self.texts).get(topic.pk, {})
        for code in chain:
            if code in by_language:
                return code, by_language[code]
        return None


def reminders_plan_due(*, now: datetime | None = None, max_chunks: int | None = None) -> Planned:
    """Claim every due reminder plan, chunk by chunk, and record their due occurrences.

    Each chunk commits its rows; the bulk senders (started by the channel layer's beat
    task) send them while a large wave is still being planned.
    """
    now = now or timezone.now()
    texts = ReminderTexts()
    planned = Planned()
    while max_chunks is None or planned.chunks < max_chunks:
        chunk = _plan_chunk(now, texts)
        if chunk.contacts == 0:
            break
        planned.contacts += chunk.contacts
        planned.pending += chunk.pending
        planned.missed += chunk.missed
        planned.chunks += 1
    if planned.contacts:
        logger.info(
            "reminders planned for %s contacts: %s to send, %s missed",
            planned.contacts,
            planned.pending,
            planned.missed,
        )
    return planned


def due_plans(now: datetime, limit: int = CHUNK) -> list[ReminderPlan]:
    """Due plans with their contacts, locked for this transaction; rows another tick holds are skipped.

    Two statements on purpose: the due plans alone (the partial index on next_reminder_at,
    locking the plan rows only), then their contacts by primary key. A join in the locking
    statement let PostgreSQL hash-join the whole contact table (a sequential scan of every
    contact, 320 ms at 1,000,000) and lock the contacts too: the cost must follow the number
    due, not the number of contacts.
    """
    plans = list(
        ReminderPlan.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_reminder_at__lte=now)
        .order_by("next_reminder_at")[:limit]
    )
    contacts = Contact.objects.in_bulk([plan.contact_id for plan in plans])
    for plan in plans:
        plan.contact = contacts[plan.contact_id]
    return plans


def _plan_chunk(now: datetime, texts: ReminderTexts) -> Planned:
    result = Planned()
    grace = timedelta(minutes=settings.REMINDER_GRACE_MINUTES)
    quiet = services.quiet_hours()
    with transaction.atomic():
        plans = due_plans(now)
        rows: list[Message] = []
        for plan in plans:
            rows.extend(_occurrences(plan, now, grace, quiet, texts, result))
        outbound.messages_schedule(rows)
        update_rows(
            ReminderPlan,
            ["next_reminder_at", "next_reminder_slot", "last_reminder_topic"],
            [(p.pk, p.next_reminder_at, p.next_reminder_slot, p.last_reminder_topic_id) for p in plans],
        )
    result.contacts = len(plans)
    return result


def _occurrences(
    plan: ReminderPlan,
    now: datetime,
    grace: timedelta,
    quiet: QuietHours,
    texts: ReminderTexts,
    result: Planned,
) -> list[Message]:
    """The rows for this plan's due occurrences; advances its next occurrence."""
    contact = plan.contact
    channel = services.delivery_channel(plan)
    if not plan.has_reminders or channel is None or plan.is_paused(now):
        # Changed since it was scheduled: nothing to send; set the next one right.
        services.plan_reschedule(plan, now=now, save=False)
        return []
    times = services.plan_times(plan)
    zone = services.contact_zone(contact)
    due: list[tuple[datetime, str]] = []
    at, slot = plan.next_reminder_at, plan.next_reminder_slot
    while at is not None and at <= now and len(due) < MAX_OCCURRENCES:
        due.append((at, slot or at.astimezone(zone).strftime(SLOT_FORMAT)))
        following = next_occurrence(times, zone, after=at)
        at, slot = (following.at, following.slot) if following else (None, "")
    if at is not None and at <= now:  # still behind after MAX_OCCURRENCES: skip ahead
        following = next_occurrence(times, zone, after=now)
        at, slot = (following.at, following.slot) if following else (None, "")
    plan.next_reminder_at, plan.next_reminder_slot = at, slot

    rows = []
    for index, (due_at, due_slot) in enumerate(due):
        latest = index == len(due) - 1
        slot_time = time.fromisoformat(due_slot[-5:])
        # A call may be placed (and retried) until its own, longer grace period ends.
        late = timedelta(minutes=settings.VOICE_GRACE_MINUTES) if channel == "voice" else grace
        if now - due_at > late:
            note = f"missed: more than {late.total_seconds() / 60:g} minutes late"
        elif not latest:
            note = "missed: a later reminder was due at the same time"
        elif quiet.contains(slot_time):
            note = "missed: the time is in the quiet hours"
        else:
            note = ""
        rows.append(_row(plan, due_at, due_slot, note, texts, result, channel=channel))
    return rows


def _row(
    plan: ReminderPlan,
    due_at: datetime,
    slot: str,
    note: str,
    texts: ReminderTexts,
    result: Planned,
    *,
    channel: str = Message.Channel.SMS,
) -> Message:
    contact = plan.contact
    fields: dict[str, Any] = {
        "channel": channel,
        "purpose": Message.Purpose.REMINDER,
        "contact": contact,
        "phone_number": contact.phone_number,
        "scheduled_for": due_at,
        "slot": slot,
    }
    if note:
        result.missed += 1
        return outbound.message_new(state=Message.State.MISSED, note=note, **fields)
    topic = texts.next_topic(plan.last_reminder_topic_id)
    spoken = channel == Message.Channel.VOICE
    found = texts.text(topic, contact.language_id, spoken=spoken) if topic else None
    if topic is None or found is None:
        result.missed += 1
        logger.error("no reminder text in any language: reminder for contact %s not sent", contact.pk)
        return outbound.message_new(state=Message.State.CANCELLED, note="not sent: there is no reminder text", **fields)
    language, body = found
    plan.last_reminder_topic = topic
    result.pending += 1
    row = outbound.message_new(body=body, language=language, topic=topic, **fields)
    if spoken:  # a call's row keeps what it says (erased and blanked like any text); it has no segments
        row.encoding, row.segments = "", None
    return row
