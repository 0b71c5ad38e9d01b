"""A worker killed mid-send, while Twilio holds its answer: recovery asks Twilio, never posts twice.

Its own module, so that no other worker is consuming while this one dies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from messaging import tasks
from messaging.models import Message
from tests.conftest import INBOUND_PATH, inbound_params, post_signed, real_broker
from tests.support.fake_twilio import FakeTwilio, Scripted
from tests.support.processes import start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def twilio_stub() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="test-auth-token").start()
    yield fake
    fake.stop()


def test_a_worker_killed_while_twilio_holds_its_answer_does_not_cause_a_second_send(
    client: Client, redis_url: str, twilio_stub: FakeTwilio, settings: Any
) -> None:
    doomed = start_worker(redis_url, twilio_stub.url)
    twilio_stub.received.clear()
    twilio_stub.then(Scripted(delay=5.0))  # Twilio takes the message, then answers slowly
    params = inbound_params(sender="+32470555666", body="KRAMPF")
    with real_broker(redis_url):
        post_signed(client, INBOUND_PATH, params)
    twilio_stub.wait_for_creates(1)
    doomed.kill()  # mid-request: the answer never reaches anyone

    reply = Message.objects.get(direction="out", phone_number="+32470555666")
    assert reply.state == Message.State.SENDING and reply.provider_sid is None

    # Later, the sweeper (here in this process, eagerly) finds the abandoned claim.
    Message.objects.filter(pk=reply.pk).update(claimed_at=timezone.now() - timedelta(minutes=5))
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_BASE_URL = twilio_stub.url
    tasks.sweep()

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert reply.provider_sid == twilio_stub.accepted[-1]["sid"]
    assert [r.method for r in twilio_stub.received] == ["POST", "GET"]  # asked Twilio; never posted again
