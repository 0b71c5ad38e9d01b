"""The inbound webhook: signatures, replays, and bad input that must never cause a 500 or a loss."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from messaging.models import Message
from tests.conftest import INBOUND_PATH, inbound_params, post_signed, real_broker, sign

pytestmark = pytest.mark.django_db

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def test_it_answers_empty_twiml_at_once(client: Client) -> None:
    response = post_signed(client, INBOUND_PATH, inbound_params())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content == EMPTY_TWIML


def test_it_refuses_a_request_without_a_signature(client: Client, outbox: list[Any], caplog: Any) -> None:
    response = client.post(INBOUND_PATH, inbound_params())

    assert response.status_code == 403
    assert not Message.objects.exists()
    assert "missing X-Twilio-Signature" in caplog.text


def test_it_refuses_a_signature_made_with_another_token(client: Client) -> None:
    params = inbound_params()
    response = client.post(INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=sign(INBOUND_PATH, params, token="other"))

    assert response.status_code == 403


def test_it_refuses_a_signed_request_whose_body_was_changed(client: Client) -> None:
    params = inbound_params(body="KRAMP")
    signature = sign(INBOUND_PATH, params)
    params["Body"] = "STOP"

    assert client.post(INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


def test_it_checks_the_signature_against_the_public_url_not_the_host_behind_the_proxy(client: Client) -> None:
    # Twilio signed https://cramps.example.org/twilio/sms/; the proxy forwards to http://10.0.0.5:8000.
    params = inbound_params()
    response = client.post(
        INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=sign(INBOUND_PATH, params), HTTP_HOST="localhost", secure=False
    )

    assert response.status_code == 200


def test_a_signature_for_the_proxys_own_url_is_refused(client: Client) -> None:
    from twilio.request_validator import RequestValidator

    params = inbound_params()
    internal = RequestValidator("test-auth-token").compute_signature("http://localhost/twilio/sms/", params)

    assert client.post(INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=internal, HTTP_HOST="localhost").status_code == 403


def test_it_accepts_parameters_twilio_adds_without_notice(text: Any, outbox: list[Any]) -> None:
    text("KRAMP", SomeNewTwilioParameter="surprise", FromCity="GENT")

    assert len(outbox) == 1


def test_a_replayed_message_sid_is_answered_once(
    client: Client, outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    params = inbound_params(body="KRAMP")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, INBOUND_PATH, params)
        assert response.status_code == 200

    assert Message.objects.filter(direction="in").count() == 1
    assert len(outbox) == 1


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(INBOUND_PATH).status_code == 405


BAD_INPUT = [
    pytest.param({"From": None}, Message.State.IGNORED, "no From", id="missing From"),
    pytest.param({"From": ""}, Message.State.IGNORED, "no From", id="empty From"),
    pytest.param({"From": "8200"}, Message.State.IGNORED, "not a phone number", id="short code"),
    pytest.param({"From": "INFO"}, Message.State.IGNORED, "not a phone number", id="alphanumeric sender"),
    pytest.param({"From": "+999"}, Message.State.IGNORED, "not a phone number", id="impossible number"),
    pytest.param({"From": "+3225550100"}, Message.State.IGNORED, "our own number", id="our own number"),
    pytest.param({"From": "+32 470 " + "9" * 60}, Message.State.IGNORED, "not a phone number", id="absurd number"),
    pytest.param({"Body": None}, Message.State.HANDLED, "not understood", id="missing Body"),
    pytest.param({"Body": ""}, Message.State.HANDLED, "not understood", id="empty body"),
    pytest.param({"Body": "🙂👍🦵"}, Message.State.HANDLED, "not understood", id="emoji only"),
    pytest.param(
        {
            "Body": "",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/media/ME1",
            "MediaContentType0": "image/jpeg",
        },
        Message.State.HANDLED,
        "not understood",
        id="media only",
    ),
    pytest.param({"Body": "KRAMP " + "x" * 1594}, Message.State.HANDLED, "KRAMP", id="1,600 characters"),
    pytest.param({"Body": "KRAMP\x00\x01\x1b\x7f"}, Message.State.HANDLED, "KRAMP", id="control characters and NUL"),
    pytest.param({"Body": "\x00"}, Message.State.HANDLED, "not understood", id="NUL only"),
    pytest.param({"Body": "KRAMP", "From": "+32470123456\x00"}, Message.State.HANDLED, "KRAMP", id="NUL in From"),
]


@pytest.mark.parametrize(("changes", "state", "note"), BAD_INPUT)
def test_bad_input_is_kept_answered_clearly_and_never_a_500(
    client: Client, django_capture_on_commit_callbacks: Any, caplog: Any, changes: dict[str, Any], state: str, note: str
) -> None:
    caplog.set_level(logging.INFO, logger="sms")  # the inbound half logs there
    params = inbound_params(**changes)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, INBOUND_PATH, params)

    assert response.status_code == 200
    inbound = Message.objects.get(direction="in")
    assert inbound.state == state
    assert note in inbound.note
    assert inbound.params["MessageSid"] == params["MessageSid"]
    assert inbound.body == params.get("Body", "").replace("\x00", "\ufffd")
    assert params["MessageSid"] in caplog.text or str(inbound.pk) in caplog.text


def test_a_request_without_a_message_sid_is_kept_and_refused_with_a_reason(client: Client, caplog: Any) -> None:
    params = inbound_params()
    del params["MessageSid"]
    response = post_signed(client, INBOUND_PATH, params)

    assert response.status_code == 400
    assert b"no MessageSid" in response.content
    assert Message.objects.get().state == Message.State.REJECTED
    assert "rejected: no MessageSid" in caplog.text


def test_a_body_that_is_not_a_form_is_refused_not_crashed(client: Client) -> None:
    response = client.post(
        INBOUND_PATH, data=b"\xff\xfe{not json", content_type="application/json", HTTP_X_TWILIO_SIGNATURE="abc"
    )

    assert response.status_code == 403


def test_a_webhook_still_answers_when_the_broker_is_down(
    client: Client, settings: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with real_broker("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):  # nothing listens
        response = post_signed(client, INBOUND_PATH, inbound_params())

    assert response.status_code == 200
    assert Message.objects.get().state == Message.State.RECEIVED  # kept for the sweeper
    assert "the sweeper will queue it once the broker is back" in caplog.text


def test_a_recut_replay_of_a_signed_webhook_is_refused_and_not_answered(
    client: Client, outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    params = inbound_params(body="KRAMP")
    signature = sign(INBOUND_PATH, params)
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, INBOUND_PATH, params)
    # Twilio's signature joins names and values without a separator: the same bytes, cut elsewhere.
    recut = {k: v for k, v in params.items() if k != "NumMedia"}
    recut["MessageSid"] += "NumMedia0"
    assert sign(INBOUND_PATH, recut) == signature

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INBOUND_PATH, recut, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 400
    assert b"malformed MessageSid" in response.content
    assert len(outbox) == 1  # the original's reply only
    rejected = Message.objects.get(state=Message.State.REJECTED)
    assert rejected.provider_sid is None and rejected.params["MessageSid"] == recut["MessageSid"]
    assert not rejected.replies.exists()


@pytest.mark.parametrize(
    ("changes", "note"),
    [
        pytest.param({"MessageSid": "SM" + "0" * 31}, "malformed MessageSid", id="MessageSid too short"),
        pytest.param({"MessageSid": "SM" + "A" * 32}, "malformed MessageSid", id="MessageSid in upper case"),
        pytest.param({"MessageSid": "XX" + "0" * 32}, "malformed MessageSid", id="MessageSid of another kind"),
        pytest.param({"MessageSid": "SM" + "0" * 32 + "\n"}, "malformed MessageSid", id="MessageSid and a newline"),
        pytest.param({"MessageSid": "SM" + "0" * 100}, "malformed MessageSid", id="MessageSid of 102 characters"),
        pytest.param({"SmsSid": "SM123"}, "malformed SmsSid", id="SmsSid"),
        pytest.param({"SmsMessageSid": "SM" + "0" * 32 + "x"}, "malformed SmsMessageSid", id="SmsMessageSid"),
        pytest.param({"AccountSid": "AC" + "1" * 32}, "AccountSid is not ours", id="another account"),
        pytest.param({"AccountSid": None}, "AccountSid is not ours", id="no AccountSid"),
        pytest.param({"AccountSid": "AC" + "0" * 32 + "ApiVersion2010-04-01"}, "AccountSid", id="AccountSid recut"),
    ],
)
def test_a_malformed_identifier_is_recorded_and_refused_without_a_reply(
    client: Client, outbox: list[Any], django_capture_on_commit_callbacks: Any, changes: dict[str, Any], note: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, INBOUND_PATH, inbound_params(**changes))

    assert response.status_code == 400
    assert note.encode() in response.content
    inbound = Message.objects.get()
    assert inbound.state == Message.State.REJECTED and note in inbound.note
    assert outbox == []


def test_message_and_call_sids_have_one_definition() -> None:
    from messaging import twilio_ids

    assert twilio_ids.is_message_sid("MM" + "0123456789abcdef" * 2)
    assert not twilio_ids.is_message_sid("CA" + "0" * 32)
    assert twilio_ids.is_call_sid("CA" + "0123456789abcdef" * 2)
    assert not twilio_ids.is_call_sid("CA" + "0" * 32 + "\n")
