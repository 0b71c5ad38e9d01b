"""A call's text copy on the real path: voice webhook -> Redis -> a real worker -> the Twilio stand-in, once."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from advice.encoding import render_sms_text
from advice.models import TopicTranslation
from contacts.models import Contact
from messaging.models import Message
from tests.conftest import real_broker, sign
from tests.support.fake_twilio import FakeTwilio
from tests.support.processes import start_worker, wait_for
from tests.test_voice import call_params, check_twiml

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


def test_the_text_copy_goes_through_a_real_worker_to_twilio_exactly_once(
    client: Client, worker: str, twilio_stub: FakeTwilio
) -> None:
    twilio_stub.received.clear()
    Contact.objects.create(phone_number="+32470999888", language_id="nl")
    sid = f"CA{uuid.uuid4().hex}"

    def post(path: str, **extra: str) -> ET.Element:
        params = call_params(sid, "+32470999888", **extra)
        response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))
        assert response.status_code == 200, response.content
        return check_twiml(response.content)

    def action(root: ET.Element) -> str:
        gather = root.find("Gather")
        assert gather is not None
        url = urlsplit(gather.get("action", ""))
        return f"{url.path}?{url.query}"

    with real_broker(worker):
        menu = post("/twilio/voice/")
        topic = post(action(menu), Digits="2")  # prevention
        copy_path = action(topic)
        for _ in range(3):  # Twilio repeats the request; the caller presses 2 again
            post(copy_path, Digits="2")
        again = post(copy_path, Digits="1")
        post(action(again), Digits="2")

    [request] = twilio_stub.wait_for_creates(1)
    sms = wait_for(lambda: Message.objects.filter(direction="out", state=Message.State.SUBMITTED).first())
    assert request.params["To"] == "+32470999888"
    expected = TopicTranslation.objects.get(topic__slug="prevention", language_id="nl").sms_text
    assert request.params["Body"] == render_sms_text(expected)
    assert request.violations == []
    assert sms.provider_sid == twilio_stub.accepted[-1]["sid"]
    # One row (unique per call and topic), claimed once by whichever worker takes it: one send.
    assert Message.objects.filter(direction="out").count() == 1
    assert len(twilio_stub.creates()) == 1
