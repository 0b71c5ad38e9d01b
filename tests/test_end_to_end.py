"""The real path: webhook view -> Redis -> a real `celery -A project worker` -> the real twilio client.

The worker is a separate process started exactly as in production, on the production
settings module with a production environment (debug off), sharing the test database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from messaging.models import Message
from tests.conftest import INBOUND_PATH, STATUS_PATH, inbound_params, post_signed, real_broker
from tests.support.fake_twilio import FakeTwilio
from tests.support.processes import start_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def twilio_stub() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="test-auth-token").start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup: Any, django_db_blocker: Any, redis_url: str, twilio_stub: FakeTwilio) -> Iterator[str]:
    with django_db_blocker.unblock():
        running = start_worker(redis_url, twilio_stub.url)
    yield redis_url
    running.stop()
    assert "Traceback" not in "".join(running.output), "".join(running.output)


def test_a_keyword_goes_through_redis_and_a_real_worker_to_twilio(
    client: Client, worker: str, twilio_stub: FakeTwilio
) -> None:
    twilio_stub.received.clear()
    params = inbound_params(sender="+32470111222", body="kramp in mijn kuit")
    with real_broker(worker):
        response = post_signed(client, INBOUND_PATH, params)
    assert response.status_code == 200

    [request] = twilio_stub.wait_for_creates(1)
    reply = wait_for(lambda: Message.objects.filter(direction="out", state=Message.State.SUBMITTED).first())
    assert request.params["To"] == "+32470111222"
    assert request.params["From"] == "+3225550100"
    assert request.params["Body"].startswith("Kramp in uw been?")
    assert request.params["StatusCallback"] == f"https://cramps.example.org/twilio/sms/status/?m={reply.pk}"
    assert request.violations == []
    assert reply.provider_sid == twilio_stub.accepted[-1]["sid"]

    callback = {"MessageSid": reply.provider_sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert post_signed(client, f"{STATUS_PATH}?m={reply.pk}", callback).status_code == 204
    reply.refresh_from_db()
    assert reply.provider_status == "delivered"


def test_replays_and_duplicate_tasks_through_the_real_worker_send_once(
    client: Client, worker: str, twilio_stub: FakeTwilio
) -> None:
    from sms import tasks

    twilio_stub.received.clear()
    params = inbound_params(sender="+32470333444", body="CRAMPE")
    with real_broker(worker):
        for _ in range(3):
            post_signed(client, INBOUND_PATH, params)
        inbound = Message.objects.get(provider_sid=params["MessageSid"])
        for _ in range(20):
            tasks.process_inbound.delay(inbound.pk)

    twilio_stub.wait_for_creates(1)
    time.sleep(1.0)  # room for any duplicate to arrive
    assert len(twilio_stub.creates()) == 1
    assert Message.objects.filter(reply_to=inbound).count() == 1
