"""Reminder calls exactly once under concurrency, over real connections: two ticks racing over
the same due callers, two beats' placers racing over the same call rows, and a placer killed
mid-create. On PostgreSQL the claims are SELECT ... FOR UPDATE SKIP LOCKED; on SQLite the
writers are serialised. Each thread has its own database connection."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from messaging.backends.locmem_voice import LocmemVoiceBackend
from messaging.models import Message
from reminders import calls
from reminders.scheduler import reminders_plan_due
from tests.support.people import make_contacts
from tests.test_reminder_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


def make_due_callers(count: int) -> None:
    due = timezone.now() - timedelta(minutes=1)
    make_contacts(
        [
            dict(
                phone_number=f"+3247{index:07d}",
                language_id="nl",
                time_zone="Europe/Brussels",
                reminder_times=["09:00", "13:00", "17:00"],
                channel="voice",
                next_reminder_at=due,
                next_reminder_slot="2026-11-24T09:00",
            )
            for index in range(count)
        ]
    )


def test_two_ticks_racing_write_one_call_row_per_occurrence() -> None:
    make_due_callers(1500)

    first, second = race(reminders_plan_due, reminders_plan_due)

    assert first.contacts + second.contacts == 1500
    rows = Message.objects.filter(channel=Message.Channel.VOICE, purpose=Message.Purpose.REMINDER)
    assert rows.count() == 1500
    assert rows.values("contact").distinct().count() == 1500
    if connection.vendor == "postgresql":
        assert first.contacts > 0 and second.contacts > 0  # SKIP LOCKED shared the work


def test_two_placers_racing_place_each_call_once(settings: Any) -> None:
    make_due_callers(400)
    reminders_plan_due()

    def drain() -> int:
        placed = 0
        while (batch := calls.calls_place_batch()).claimed:
            placed += batch.placed
        return placed

    first, second = race(drain, drain)

    assert first + second == 400
    per_number = Counter(call.to for call in LocmemVoiceBackend.placed)
    assert len(per_number) == 400 and set(per_number.values()) == {1}
    assert Message.objects.filter(channel="voice", state=Message.State.SUBMITTED).count() == 400


def test_a_placer_killed_mid_create_is_neither_lost_nor_doubled() -> None:
    make_due_callers(3)
    reminders_plan_due()
    claimed = calls.calls_claim(limit=3)
    # The first reached Twilio, then the worker died; the others never left.
    calls._record_started(claimed[0].pk, claimed[0].attempts)
    LocmemVoiceBackend().place_call(calls.outgoing_call(claimed[0], claimed[0].attempts))
    for row in claimed[1:]:
        calls._record_started(row.pk, row.attempts)
    # The sweeper hands abandoned rows back, uncertain (as for texts).
    Message.objects.filter(pk__in=[m.pk for m in claimed]).update(state=Message.State.PENDING, uncertain=True)

    while calls.calls_place_batch().claimed:
        pass

    per_number = Counter(call.to for call in LocmemVoiceBackend.placed)
    assert set(per_number.values()) == {1} and len(per_number) == 3
    assert set(Message.objects.filter(channel="voice").values_list("attempts", flat=True)) == {1}
    assert Message.objects.filter(channel="voice", state=Message.State.SUBMITTED).count() == 3
