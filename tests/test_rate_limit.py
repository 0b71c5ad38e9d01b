"""The global send rate, shared through a real Redis: slots never overlap, whoever asks."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from messaging import bulk, leases, ratelimit
from messaging.models import Message
from reminders.scheduler import reminders_plan_due
from tests.conftest import free_port
from tests.support.fake_twilio import FakeTwilio
from tests.support.people import make_contacts


def test_reservations_follow_each_other_at_the_rate(shared_redis: str, settings: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 50.0

    first = ratelimit.reserve("+3225550100", 10)
    second = ratelimit.reserve("+3225550100", 10)
    other_sender = ratelimit.reserve("+3225550199", 10)

    assert second.start - first.start == pytest.approx(0.2, abs=0.05)
    assert other_sender.start - first.start < 0.05  # each sender has its own rate
    assert first.slot(3) - first.slot(2) == pytest.approx(0.02)


def test_concurrent_reservations_never_share_a_slot(shared_redis: str, settings: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 1000.0
    waits: list[float] = []
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(100):
            wait = ratelimit._reserve("+3225550100", 1, 1000.0)
            with lock:
                waits.append(time.monotonic() + wait)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    slots = sorted(waits)
    assert len(slots) == 400
    # 400 slots of 1 ms each: whatever the interleaving, they span at least 0.399 s.
    assert slots[-1] - slots[0] >= 0.399 - 0.05


def test_a_reply_takes_a_slot_without_waiting(shared_redis: str, settings: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 10.0
    bulk_before = ratelimit.reserve("+3225550100", 5)

    started = time.monotonic()
    ratelimit.take_now("+3225550100")
    assert time.monotonic() - started < 0.05

    bulk_after = ratelimit.reserve("+3225550100", 1)
    assert bulk_after.start - bulk_before.start == pytest.approx(0.6, abs=0.05)  # 5 bulk + 1 reply


@pytest.mark.django_db
def test_the_reply_is_sent_when_redis_is_down(text: Any, fake_twilio: FakeTwilio, settings: Any, caplog: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 10.0
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert [request.params["Body"][:9] for request in fake_twilio.creates()] == ["Kramp in "]
    assert "rate limiter unavailable" in caplog.text


@pytest.mark.django_db
def test_bulk_sending_keeps_to_the_rate(fake_twilio: FakeTwilio, shared_redis: str, settings: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 20.0
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    due = timezone.now() - timedelta(minutes=1)
    make_contacts(
        [
            dict(
                phone_number=f"+324700000{index:02d}",
                language_id="en",
                reminder_times=["09:00"],
                next_reminder_at=due,
                next_reminder_slot="2026-11-24T09:00",
            )
            for index in range(20)
        ]
    )
    reminders_plan_due()

    while bulk.bulk_send_batch().claimed:
        pass

    arrivals = sorted(request.at for request in fake_twilio.creates())
    assert len(arrivals) == 20
    # 20 per second: 50 ms apart. The first request also opens the connection, so count from
    # the second: the last arrives at least 18 slots (0.9 s) after it, allowing 5 % for timers.
    assert arrivals[-1] - arrivals[1] >= 0.95 * 18 * 0.05
    assert Message.objects.filter(state=Message.State.SUBMITTED).count() == 20


def test_no_more_bulk_senders_than_configured(shared_redis: str, settings: Any) -> None:
    settings.SMS_BULK_SENDERS = 2
    first, second = leases.acquire(), leases.acquire()

    assert first and second
    assert leases.acquire() is None
    leases.release(first)
    third = leases.acquire()
    assert third is not None
    assert not leases.renew(first)  # a released lease cannot be renewed by its old holder
    assert leases.renew(third)
