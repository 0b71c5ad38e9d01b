"""A Twilio outage loses nothing: failed look-ups are not send attempts, and retries span a window of time.

The clock is frozen and moved by hand; the Twilio stand-in answers 500 to everything while it is "down".
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from messaging import outbound, tasks
from messaging.models import Message
from tests.conftest import Clock
from tests.support.fake_twilio import FakeTwilio, Scripted

pytestmark = pytest.mark.django_db


def _run_due_work(clock: Clock, *, sweep: bool) -> None:
    """What the retry tasks (their countdown) and beat's sweeper would do at this moment."""
    due = Message.objects.filter(direction="out", state=Message.State.PENDING, next_attempt_at__lte=clock.now)
    for message_id in due.values_list("pk", flat=True):
        tasks.send_message(message_id)
    if sweep:
        tasks.sweep()


def _live_through(clock: Clock, minutes: float, step_seconds: float = 5.0) -> None:
    end = clock.now + timedelta(minutes=minutes)
    while clock.now < end:
        clock.advance(seconds=step_seconds)
        _run_due_work(clock, sweep=clock.now.second % 30 < step_seconds)


def test_a_failed_look_up_is_not_a_send_attempt(text: Any, fake_twilio: FakeTwilio, clock: Clock) -> None:
    fake_twilio.then(Scripted(status=500, code=20500))  # may have reached Twilio: ask before resending
    reply = text("KRAMP")
    fake_twilio.failing_lists = 3
    for _ in range(3):
        clock.advance(minutes=5)
        outbound.message_send(message_id=reply.pk)

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert reply.attempts == 1  # the one POST; three look-ups that failed do not count
    assert [r.method for r in fake_twilio.received] == ["POST", "GET", "GET", "GET"]


def test_a_ten_minute_outage_loses_no_reply(text: Any, fake_twilio: FakeTwilio, clock: Clock, caplog: Any) -> None:
    senders = [f"+3247010{n:04d}" for n in range(8)]
    fake_twilio.outage = True
    for sender in senders:
        text("KRAMP", sender=sender)

    _live_through(clock, minutes=10)
    assert not Message.objects.filter(direction="out").exclude(state=Message.State.PENDING).exists()
    during = len(fake_twilio.received)
    fake_twilio.outage = False
    _live_through(clock, minutes=6)

    replies = Message.objects.filter(direction="out")
    assert sorted(replies.values_list("state", flat=True)) == [Message.State.SUBMITTED] * len(senders)
    assert sorted(m["to"] for m in fake_twilio.accepted) == senders  # each exactly once
    # Backing off: a few dozen requests per reply over ten minutes, not one every few seconds.
    assert during < 30 * len(senders)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_retries_are_capped_with_jitter_and_grow_with_the_time_already_waited(settings: Any) -> None:
    settings.SMS_RETRY_BASE_SECONDS = 2
    settings.SMS_RETRY_MAX_SECONDS = 300

    assert all(1 <= outbound.retry_delay(1) <= 2 for _ in range(20))
    assert all(60 <= outbound.retry_delay(1, waited=240) <= 120 for _ in range(20))
    assert all(150 <= outbound.retry_delay(1, waited=3600) <= 300 for _ in range(20))
    assert len({outbound.retry_delay(1, waited=3600) for _ in range(20)}) > 1


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("operator", "operator@example.org", "pw"))
    return client


def test_a_reply_that_outlasts_the_window_gives_up_shows_in_the_admin_and_can_be_retried(
    text: Any,
    fake_twilio: FakeTwilio,
    clock: Clock,
    settings: Any,
    staff: Client,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SMS_RETRY_WINDOW_MINUTES = 5
    fake_twilio.outage = True
    reply = text("KRAMP")

    _live_through(clock, minutes=4)
    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING  # still within the window
    _live_through(clock, minutes=10)

    reply.refresh_from_db()
    assert reply.state == Message.State.GAVE_UP
    assert reply.uncertain  # the first POST may have reached Twilio
    assert "gave up" in reply.note
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and str(reply.pk) in errors[0].getMessage()

    page = staff.get("/admin/messaging/message/?state__exact=gave-up").content.decode()
    assert f"/admin/messaging/message/{reply.pk}/change/" in page

    fake_twilio.outage = False
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/messaging/message/", {"action": "retry_sending", "_selected_action": [reply.pk], "index": 0}
        )
    assert response.status_code == 302

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert [m["to"] for m in fake_twilio.accepted] == [reply.phone_number]  # asked first, then sent once
    assert fake_twilio.received[-2].method == "GET"


def test_only_messages_that_gave_up_are_retried(text: Any, clock: Clock) -> None:
    delivered = text("KRAMP")

    assert outbound.messages_retry(message_ids=[delivered.pk]) == []
    delivered.refresh_from_db()
    assert delivered.state == Message.State.SUBMITTED


def test_the_retry_action_is_offered_in_the_operators_language(staff: Client, text: Any) -> None:
    text("KRAMP")  # the admin offers actions only on a list with rows

    page = staff.get("/admin/messaging/message/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Opnieuw versturen (opgegeven berichten)" in page


def test_a_look_up_that_cannot_reach_twilio_logs_no_phone_number(text: Any, settings: Any, caplog: Any) -> None:
    from tests.conftest import free_port

    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens
    reply = text("KRAMP")
    Message.objects.filter(pk=reply.pk).update(uncertain=True, next_attempt_at=None)

    outbound.message_send(message_id=reply.pk)

    reply.refresh_from_db()
    assert "could not be asked" in reply.error_message
    assert "470123456" not in caplog.text and "470123456" not in reply.error_message
