"""What the service sends, checked by Prism against Twilio's own OpenAPI spec (../shared/twilio/).

Runs when TWILIO_PRISM_URL points at `prism mock ../shared/twilio/twilio_api_v2010.json`
(.ci/run starts one when npm can install it). Prism checks required parameters, unknown
ones, types and SID patterns; tests/support/fake_twilio.py checks the same and more (E.164).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest

from messaging.backends import get_backend
from messaging.backends.base import OutgoingSms
from messaging.models import Message

PRISM_URL = os.environ.get("TWILIO_PRISM_URL", "")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not PRISM_URL, reason="TWILIO_PRISM_URL is not set (see the README)"),
]


@pytest.fixture
def prism(settings: Any) -> Any:
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_BASE_URL = PRISM_URL
    settings.TWILIO_TIMEOUT_SECONDS = 10
    return get_backend()


def test_a_keyword_reply_is_a_request_twilios_spec_accepts(prism: Any, text: Any) -> None:
    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED, reply.error_message
    assert reply.provider_sid.startswith("SM")


def test_sending_through_a_messaging_service_is_accepted(prism: Any, settings: Any) -> None:
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "a" * 32
    sms = OutgoingSms(
        to="+32470123456",
        body="Crampe à la jambe ?",
        sender="",
        status_callback="https://cramps.example.org/twilio/sms/status/?m=1",
    )

    assert prism.send_sms(sms).sid.startswith("SM")


def test_asking_twilio_about_an_earlier_attempt_is_accepted(prism: Any) -> None:
    sms = OutgoingSms(to="+32470123456", body="x", sender="+3225550100", status_callback="")

    prism.find_submitted(sms, since=datetime.now(UTC))  # raises SendError if Prism refuses it
