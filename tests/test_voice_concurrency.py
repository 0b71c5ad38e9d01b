"""Twilio sending the same voice request twice at the same instant, over real connections:
one step, one contact, one text copy, and both copies answered alike."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.test import Client

from contacts.models import Contact
from messaging.models import Message
from tests.conftest import sign
from tests.test_reminder_concurrency import race
from tests.test_voice import call_params, check_twiml
from voice.content import call_settings_clear
from voice.models import CallStep

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_same_steps_twice_at_once_change_things_once(outbox: list[Any]) -> None:
    call_settings_clear()
    callers = [f"+3247{index:07d}" for index in range(20)]
    sids = {number: f"CA{uuid.uuid4().hex}" for number in callers}
    steps = [
        ("/twilio/voice/", {}),
        ("/twilio/voice/language/?n=1", {"Digits": "2"}),  # French: the contact is created
        ("/twilio/voice/menu/?l=fr&n=2", {"Digits": "1"}),
        ("/twilio/voice/topic/?l=fr&t=cramp&n=3", {"Digits": "2"}),  # the text copy
    ]

    together = threading.Barrier(2)

    def play() -> list[bytes]:
        client = Client()
        answers = []
        for number in callers:
            for path, extra in steps:
                params = call_params(sids[number], number, **extra)
                together.wait(timeout=30)  # each request and its copy leave at the same instant
                response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params))
                assert response.status_code == 200, response.content
                answers.append(check_twiml(response.content) is not None and response.content)
        return answers

    first, second = race(play, play)

    assert first == second
    assert Contact.objects.count() == 20
    assert Message.objects.filter(channel="voice").count() == 20
    assert CallStep.objects.count() == 20 * len(steps)
    assert Message.objects.filter(direction="out").count() == 20
    assert len(outbox) == 20
