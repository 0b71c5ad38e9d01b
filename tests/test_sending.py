"""Sending through the real `twilio` client to a local stand-in for Twilio's API.

Each test asserts on what crossed the HTTP boundary: how many requests, and what they held.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
from django.db import connection

from contacts.models import Contact
from messaging import outbound
from messaging.models import Message
from tests.support.fake_twilio import FakeTwilio, Scripted

pytestmark = pytest.mark.django_db


def test_it_sends_the_reply_through_twilio_with_a_status_callback(text: Any, fake_twilio: FakeTwilio) -> None:
    reply = text("KRAMP")

    [request] = fake_twilio.creates()
    assert request.path == "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"
    assert request.params["To"] == "+32470123456"
    assert request.params["From"] == "+3225550100"
    assert request.params["Body"].startswith("Kramp in uw been?")
    assert request.params["StatusCallback"] == f"https://cramps.example.org/twilio/sms/status/?m={reply.pk}"
    token = base64.b64encode(b"AC00000000000000000000000000000000:test-auth-token").decode()
    assert request.headers["Authorization"] == f"Basic {token}"
    assert request.violations == []
    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert reply.provider_sid.startswith("SM")
    assert reply.provider_status == "queued"


def test_it_uses_the_messaging_service_when_configured(text: Any, fake_twilio: FakeTwilio, settings: Any) -> None:
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    text("KRAMP")

    [request] = fake_twilio.creates()
    assert request.params["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in request.params


def test_opted_out_at_twilio_21610_marks_the_number_opted_out_after_exactly_one_call(
    text: Any, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.then(Scripted(status=400, code=21610, message="Attempt to send to unsubscribed recipient"))
    reply = text("KRAMP")
    text("KRAMP")

    assert len(fake_twilio.creates()) == 1
    reply.refresh_from_db()
    assert reply.state == Message.State.FAILED
    assert reply.error_code == 21610
    contact = Contact.objects.get()
    assert contact.sms_opted_out
    assert contact.sms_opt_out_source == Contact.OptOutSource.CARRIER


@pytest.mark.parametrize("code", [21211, 21614, 21612, 21635])
def test_a_permanently_bad_number_is_tried_exactly_once(text: Any, fake_twilio: FakeTwilio, code: int) -> None:
    fake_twilio.then(Scripted(status=400, code=code))
    reply = text("KRAMP")
    later = text("CRAMP")

    assert len(fake_twilio.creates()) == 1
    reply.refresh_from_db()
    later.refresh_from_db()
    assert reply.state == Message.State.FAILED
    assert later.state == Message.State.CANCELLED
    assert "undeliverable" in later.note
    contact = Contact.objects.get()
    assert str(code) in contact.sms_undeliverable_reason
    assert not contact.can_receive("sms")
    assert contact.can_receive("voice") and contact.voice_undeliverable_at is None  # SMS refused; a call may reach it


@pytest.mark.parametrize(
    "answer",
    [Scripted(status=429, code=20429), Scripted(status=503, code=20503), Scripted(status=500, code=20500)],
    ids=["429", "503", "500"],
)
def test_a_busy_or_failing_twilio_is_retried_later_with_backoff(
    text: Any, fake_twilio: FakeTwilio, answer: Scripted
) -> None:
    fake_twilio.then(answer)
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert reply.attempts == 1
    assert reply.next_attempt_at is not None
    assert reply.error_code == answer.code
    assert len(fake_twilio.creates()) == 1


def test_an_error_page_that_is_not_twilios_json_is_retried_and_twilio_asked_first(
    text: Any, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.then(Scripted(status=502, body="<html><body>502 Bad Gateway</body></html>", accept=False))
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert reply.uncertain  # a 5xx: the message may have reached Twilio
    assert reply.error_code == 502
    assert "Bad Gateway" in reply.error_message


def test_an_rfc_9457_error_is_classified_by_its_code(text: Any, fake_twilio: FakeTwilio) -> None:
    problem = {
        "type": "https://www.twilio.com/docs/errors/21211",
        "title": "Invalid 'To' Phone Number",
        "status": 400,
        "code": 21211,
        "detail": "The 'To' number +32470123456 is not a valid phone number.",
    }
    fake_twilio.then(Scripted(status=400, body=json.dumps(problem)))
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.FAILED
    assert reply.error_code == 21211
    assert "21211" in Contact.objects.get().sms_undeliverable_reason


def test_an_accepted_answer_without_a_sid_counts_as_possibly_sent(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(status=201, body="{}"))
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert reply.uncertain
    assert "not understood" in reply.error_message


def test_a_retry_sends_once_twilio_is_back(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(status=429, code=20429))
    reply = text("KRAMP")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    result = outbound.message_send(message_id=reply.pk)

    assert result.state == Message.State.SUBMITTED
    assert len(fake_twilio.creates()) == 2
    reply.refresh_from_db()
    assert reply.attempts == 2
    assert reply.error_code is None


def test_a_retry_before_its_time_does_nothing(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(status=429, code=20429))
    reply = text("KRAMP")

    assert outbound.message_send(message_id=reply.pk).state == "skipped"
    assert len(fake_twilio.creates()) == 1


def test_retries_are_bounded(text: Any, fake_twilio: FakeTwilio, settings: Any, caplog: Any) -> None:
    settings.SMS_SEND_MAX_ATTEMPTS = 3
    settings.SMS_RETRY_WINDOW_MINUTES = 0  # the count alone (tests/test_twilio_outage.py: the window)
    fake_twilio.then(*[Scripted(status=429, code=20429)] * 5)
    reply = text("KRAMP")
    for _ in range(5):
        Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)
        outbound.message_send(message_id=reply.pk)

    reply.refresh_from_db()
    assert reply.state == Message.State.GAVE_UP
    assert len(fake_twilio.creates()) == 3
    assert "gave up after 3 attempt(s)" in caplog.text


def test_backoff_grows_with_jitter_and_a_cap(settings: Any) -> None:
    settings.SMS_RETRY_BASE_SECONDS = 2
    settings.SMS_RETRY_MAX_SECONDS = 60
    delays = {attempt: [outbound.retry_delay(attempt) for _ in range(50)] for attempt in (1, 2, 3, 10)}

    assert all(1 <= d <= 2 for d in delays[1])
    assert all(2 <= d <= 4 for d in delays[2])
    assert all(4 <= d <= 8 for d in delays[3])
    assert all(30 <= d <= 60 for d in delays[10])
    assert len(set(delays[3])) > 1


def test_a_message_twilio_accepted_before_timing_out_is_not_sent_again(text: Any, fake_twilio: FakeTwilio) -> None:
    # Twilio takes the message but the answer comes after the client's 1 s timeout.
    fake_twilio.then(Scripted(delay=1.5))
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert reply.uncertain
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    result = outbound.message_send(message_id=reply.pk)

    assert result.state == Message.State.SUBMITTED
    assert len(fake_twilio.creates()) == 1  # asked Twilio (a GET), did not post again
    assert [r.method for r in fake_twilio.received] == ["POST", "GET"]
    reply.refresh_from_db()
    assert reply.provider_sid == fake_twilio.accepted[0]["sid"]


def test_when_twilio_cannot_be_asked_about_an_earlier_attempt_nothing_is_sent_yet(
    text: Any, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.then(Scripted(delay=1.5))
    reply = text("KRAMP")
    fake_twilio.failing_lists = 1
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    result = outbound.message_send(message_id=reply.pk)

    assert result.state == Message.State.PENDING and result.retry_in is not None
    assert [r.method for r in fake_twilio.received] == ["POST", "GET"]  # asked, got no answer, did not post
    reply.refresh_from_db()
    assert reply.uncertain
    assert "could not be asked" in reply.error_message


def test_a_timed_out_message_twilio_never_got_is_sent_again(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(status=500, code=20500, accept=False))
    reply = text("KRAMP")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    outbound.message_send(message_id=reply.pk)

    assert [r.method for r in fake_twilio.received] == ["POST", "GET", "POST"]
    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED


def test_an_unreachable_twilio_is_retried_without_asking_first(text: Any, settings: Any) -> None:
    from tests.conftest import free_port

    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens: never sent
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING
    assert not reply.uncertain
    assert "could not be reached" in reply.error_message


def test_every_request_to_twilio_has_a_timeout(fake_twilio: FakeTwilio) -> None:
    from messaging.backends import get_backend

    assert get_backend().client.http_client.timeout == 1.0  # type: ignore[attr-defined]


def test_an_opted_out_number_gets_nothing_even_if_a_reply_was_already_queued(
    text: Any, fake_twilio: FakeTwilio, django_capture_on_commit_callbacks: Any
) -> None:
    fake_twilio.then(Scripted(status=429, code=20429))
    reply = text("KRAMP")
    text("STOP")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    outbound.message_send(message_id=reply.pk)

    reply.refresh_from_db()
    assert reply.state == Message.State.CANCELLED
    assert [r.params["Body"][:9] for r in fake_twilio.creates()] == ["Kramp in ", "U ontvang"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_the_same_message_at_once_send_it_once(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(status=429, code=20429))
    reply = text("KRAMP")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    # The winner holds its claim while Twilio answers slowly, so the other worker's claim
    # comes in while the send is in flight.
    fake_twilio.then(Scripted(delay=0.5))
    start = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            results.append(outbound.message_send(message_id=reply.pk).state)
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["skipped", Message.State.SUBMITTED]
    assert len(fake_twilio.creates()) == 2  # the 429, then one real send
