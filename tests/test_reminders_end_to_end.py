"""Reminders on the real path: `celery beat` (two of them, as a mistaken deployment would run)
ticks, a real `celery worker` plans and sends through Redis, the real `twilio` client talks to
the local stand-in. Each due occurrence reaches Twilio exactly once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from contacts.models import Contact
from messaging.models import Message
from tests.support.fake_twilio import FakeTwilio
from tests.support.people import make_contact, plan
from tests.support.processes import start_beat, start_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROCESS_ENV = {
    "REMINDER_TICK_SECONDS": "1",
    "SMS_BULK_START_SECONDS": "1",
    "REMINDER_QUIET_HOURS": "00:00-00:00",  # the test runs at any hour
    "SMS_RATE_LIMIT_PER_SECOND": "20",
    "SMS_BULK_SENDERS": "2",
}


@pytest.fixture
def twilio_stub() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="test-auth-token").start()
    yield fake
    fake.stop()


def test_two_beats_and_a_worker_send_each_due_reminder_once(
    django_db_blocker: Any, redis_url: str, twilio_stub: FakeTwilio, tmp_path: Path
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in [*client.scan_iter("sms-rate:*"), *client.scan_iter("bulk-sender:*")]:
        client.delete(key)
    due = timezone.now() - timedelta(seconds=30)
    numbers = [f"+3247055500{index}" for index in range(6)]
    for index, number in enumerate(numbers):
        make_contact(
            phone_number=number,
            language_id=["nl", "fr", "de", "en"][index % 4],
            time_zone="Europe/Brussels",
            reminder_times=["09:00", "13:00", "17:00"],
            next_reminder_at=due,
            next_reminder_slot="2026-11-24T09:00",
            sms_opted_out=index == 5,  # gets nothing
        )

    worker = start_worker(redis_url, twilio_stub.url, **PROCESS_ENV)
    beats = [start_beat(redis_url, twilio_stub.url, tmp_path / f"beat-{n}", **PROCESS_ENV) for n in (1, 2)]
    try:
        twilio_stub.wait_for_creates(5, timeout=30)
        time.sleep(3.0)  # several more ticks from both beats: nothing more may go out
    finally:
        for process in [*beats, worker]:
            process.stop()

    creates = twilio_stub.creates()
    assert Counter(request.params["To"] for request in creates) == {number: 1 for number in numbers[:5]}
    assert all(request.violations == [] for request in creates)
    bodies = {request.params["To"]: request.params["Body"] for request in creates}
    assert bodies[numbers[0]].startswith("Herinnering:")
    assert bodies[numbers[1]].startswith("Rappel :")
    assert bodies[numbers[2]].startswith("Erinnerung:")
    assert bodies[numbers[3]].startswith("Reminder:")
    sent = wait_for(lambda: Message.objects.filter(purpose="reminder", state=Message.State.SUBMITTED).count() == 5)
    assert sent
    for contact in Contact.objects.filter(sms_opted_out=False):
        assert plan(contact).next_reminder_at > timezone.now()
    output = "".join(worker.output)
    assert "Traceback" not in output, output
    assert "reminders.tasks.tick" in output
