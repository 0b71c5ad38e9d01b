"""Reminder calls on the real path: `celery beat` ticks (two of them), a real `celery worker`
plans and places the calls through Redis with the real `twilio` client, the Twilio stand-in
answers `Calls.json` and plays Twilio's side of each call against the live server (fetching
our signed Url, posting the status callbacks with AnsweredBy). One call per occurrence; a
busy line is called again; a machine hears the reminder after the beep."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from messaging.models import Message
from tests.support.fake_twilio import FakeTwilio, PlacedCall
from tests.support.people import make_contact
from tests.support.processes import start_beat, start_worker, wait_for
from tests.support.twilio_phone import TwilioPhone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROCESS_ENV = {
    "REMINDER_TICK_SECONDS": "1",
    "REMINDER_QUIET_HOURS": "00:00-00:00",  # the test runs at any hour
    "VOICE_CALLS_PER_SECOND": "5",
    "VOICE_RETRY_MINUTES": "1",  # the smallest retry the settings allow; the test moves it closer
}


@pytest.fixture
def twilio_stub() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="test-auth-token").start()
    yield fake
    fake.stop()


def test_beats_and_a_worker_place_each_reminder_call_once_and_the_phone_answers(
    django_db_blocker: Any, redis_url: str, twilio_stub: FakeTwilio, tmp_path: Path, live_server: Any, settings: Any
) -> None:
    import redis

    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("calls-rate:*"):
        client.delete(key)
    due = timezone.now() - timedelta(seconds=30)
    numbers = ["+32470555100", "+32470555101", "+32470555102"]
    for index, number in enumerate(numbers):
        make_contact(
            phone_number=number,
            language_id=["nl", "fr", "de"][index],
            time_zone="Europe/Brussels",
            reminder_times=["09:00", "13:00", "17:00"],
            channel="voice",
            next_reminder_at=due,
            next_reminder_slot="2026-11-24T09:00",
        )
    phone = TwilioPhone.for_server(live_server.url)
    answers = {numbers[0]: "human", numbers[1]: "machine_end_beep"}
    played: dict[str, Any] = {}

    def play(placed: PlacedCall) -> None:
        to = placed.to
        if to in answers:
            played[to] = phone.answer(placed, answered_by=answers[to], fake=twilio_stub)
        else:
            played[to] = phone.answer(placed, outcome="busy", fake=twilio_stub)

    twilio_stub.on_call = play
    worker = start_worker(redis_url, twilio_stub.url, **PROCESS_ENV)
    beats = [start_beat(redis_url, twilio_stub.url, tmp_path / f"beat-{n}", **PROCESS_ENV) for n in (1, 2)]
    try:
        twilio_stub.wait_for_played(3, timeout=40)
        # The busy one: bring its retry forward instead of waiting a minute.
        busy = wait_for(
            lambda: Message.objects.filter(phone_number=numbers[2], state=Message.State.PENDING, attempts=1).first()
        )
        Message.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
        answers[numbers[2]] = "human"
        twilio_stub.wait_for_played(4, timeout=40)
        time.sleep(3.0)  # more ticks from both beats: nothing more may go out
    finally:
        for process in [*beats, worker]:
            process.stop()

    creates = twilio_stub.call_creates()
    assert Counter(r.params["To"] for r in creates) == {numbers[0]: 1, numbers[1]: 1, numbers[2]: 2}
    assert all(r.violations == [] for r in creates)
    assert played[numbers[0]].said_with[0][1:] == ("Polly.Lisa-Neural", "nl-BE")
    assert len(played[numbers[1]].heard) == 1  # the voicemail: the reminder after the beep, nothing else
    rows = {m.phone_number: m for m in Message.objects.filter(channel="voice")}
    assert wait_for(lambda: Message.objects.filter(channel="voice", provider_status="completed").count() == 3)
    rows = {m.phone_number: m for m in Message.objects.filter(channel="voice")}
    assert rows[numbers[0]].note == "answered by a person"
    assert rows[numbers[1]].note == "answered by a machine (machine_end_beep)"
    assert rows[numbers[2]].attempts == 2 and rows[numbers[2]].note == "answered by a person"
    output = "".join(worker.output)
    assert "Traceback" not in output, output
