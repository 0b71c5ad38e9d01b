"""Exactly once under concurrency, over real connections: two ticks racing over the same due
contacts, two bulk senders racing over the same messages, and a sender that died holding
its claim. On PostgreSQL the claims are SELECT ... FOR UPDATE SKIP LOCKED; on SQLite the
writers are serialised. Each thread has its own database connection."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from messaging import bulk, outbound, services
from messaging.backends import OutgoingSms, get_backend
from messaging.models import Message
from reminders.models import ReminderPlan
from reminders.scheduler import reminders_plan_due
from tests.support.fake_twilio import FakeTwilio
from tests.support.people import make_contacts

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"


def make_due(count: int) -> None:
    due = timezone.now() - timedelta(minutes=1)
    make_contacts(
        [
            dict(
                phone_number=f"+3247{index:07d}",
                language_id="nl",
                time_zone="Europe/Brussels",
                reminder_times=["09:00", "13:00", "17:00"],
                next_reminder_at=due,
                next_reminder_slot="2026-11-24T09:00",
            )
            for index in range(count)
        ]
    )


def race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs in threads released at the same instant; return their results."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_two_ticks_racing_record_each_occurrence_once() -> None:
    make_due(2500)

    first, second = race(reminders_plan_due, reminders_plan_due)

    assert first.contacts + second.contacts == 2500
    per_contact = Counter(Message.objects.filter(purpose="reminder").values_list("contact_id", flat=True))
    assert len(per_contact) == 2500
    assert set(per_contact.values()) == {1}
    if connection.vendor == "postgresql":
        # SKIP LOCKED: the second tick took other contacts instead of waiting.
        assert first.contacts > 0 and second.contacts > 0
    assert not ReminderPlan.objects.filter(next_reminder_at__lte=timezone.now()).exists()


def send_until_empty() -> int:
    sent = 0
    while True:
        result = bulk.bulk_send_batch()
        if not result.claimed:
            return sent
        sent += result.submitted


def test_two_senders_racing_send_each_message_once(fake_twilio: FakeTwilio, settings: Any) -> None:
    settings.SMS_BULK_BATCH_SIZE = 20
    make_due(300)
    reminders_plan_due()

    first, second = race(send_until_empty, send_until_empty)

    creates = fake_twilio.creates()
    assert first + second == 300 == len(creates)
    assert len({request.params["To"] for request in creates}) == 300
    assert Message.objects.filter(purpose="reminder", state=Message.State.SUBMITTED).count() == 300
    if connection.vendor == "postgresql":
        assert first > 0 and second > 0


def test_work_claimed_by_a_sender_that_died_is_picked_up_later_neither_lost_nor_doubled(
    fake_twilio: FakeTwilio, settings: Any
) -> None:
    make_due(4)
    reminders_plan_due()
    # A sender claimed all four, handed two to Twilio, and died before recording anything.
    claimed = bulk.bulk_claim(limit=10)
    assert len(claimed) == 4
    for message in claimed[:2]:
        get_backend().send_sms(
            OutgoingSms(
                message.phone_number, message.body, message.service_number, outbound.status_callback_url(message)
            )
        )
    assert bulk.bulk_claim(limit=10) == []  # still claimed: nobody else takes them
    Message.objects.filter(pk__in=[m.pk for m in claimed]).update(claimed_at=timezone.now() - timedelta(minutes=5))

    services.messages_sweep()
    send_until_empty()

    creates = fake_twilio.creates()
    assert Counter(request.params["To"] for request in creates) == {m.phone_number: 1 for m in claimed}
    states = set(Message.objects.filter(pk__in=[m.pk for m in claimed]).values_list("state", flat=True))
    assert states == {Message.State.SUBMITTED}
