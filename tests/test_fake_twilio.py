"""The Twilio stand-in itself: it must refuse what Twilio's own spec refuses, or the tests prove nothing."""

from __future__ import annotations

import pytest

from tests.support.fake_twilio import SPEC_PATH, check_against_spec, load_message_schema

pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="../shared/twilio/ is not beside this checkout")

ACCOUNT = "AC" + "0" * 32
GOOD = {
    "To": ["+32470123456"],
    "From": ["+3225550100"],
    "Body": ["KRAMP"],
    "StatusCallback": ["https://cramps.example.org/twilio/sms/status/?m=1"],
}


@pytest.fixture(scope="module")
def schema() -> dict:
    loaded = load_message_schema()
    assert loaded is not None
    return loaded


def test_it_accepts_what_the_service_sends(schema: dict) -> None:
    assert check_against_spec(schema, ACCOUNT, GOOD) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"To": None}, "missing required parameter To"),
        ({"To": ["0470123456"]}, "is not an E.164 phone number"),
        ({"From": None}, "From or MessagingServiceSid is required"),
        ({"Body": None}, "Body, MediaUrl or ContentSid is required"),
        ({"Body": ["x" * 1601]}, "longer than 1,600"),
        ({"StatusCallback": ["/twilio/sms/status/"]}, "is not a URL Twilio accepts"),
        ({"StatusCallback": ["https://my_host.example/cb"]}, "is not a URL Twilio accepts"),
        ({"MessagingServiceSid": ["MG123"]}, "does not match"),
        ({"SmartEncoded": ["yes"]}, "is not a boolean"),
        ({"ValidityPeriod": ["soon"]}, "is not an integer"),
        ({"StatusCallbak": ["https://x.example/"]}, "unknown parameter StatusCallbak"),
    ],
)
def test_it_refuses_what_twilio_refuses(schema: dict, change: dict, problem: str) -> None:
    params = {**GOOD, **change}
    params = {k: v for k, v in params.items() if v is not None}

    assert any(problem in p for p in check_against_spec(schema, ACCOUNT, params))


def test_it_refuses_a_bad_account_sid(schema: dict) -> None:
    assert check_against_spec(schema, "SK123", GOOD)
