"""Status callbacks only move forward; the sweeper finds work whose task was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contacts.models import Contact
from messaging import outbound, services, tasks
from messaging.models import Message
from sms import services as sms_services
from sms import tasks as sms_tasks
from tests.conftest import INBOUND_PATH, STATUS_PATH, inbound_params, post_signed
from tests.support.fake_twilio import FakeTwilio, Scripted

pytestmark = pytest.mark.django_db


def callback(client: Client, message: Message, status: str, **extra: str) -> Any:
    path = f"{STATUS_PATH}?m={message.pk}"
    params = {
        "MessageSid": message.provider_sid or "",
        "MessageStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": message.phone_number,
        "From": "+3225550100",
        **extra,
    }
    return post_signed(client, path, params)


def test_status_moves_forward_even_when_callbacks_arrive_out_of_order(client: Client, text: Any) -> None:
    reply = text("KRAMP")
    reply.refresh_from_db()
    for status in ["sent", "delivered", "sending", "sent", "queued"]:
        assert callback(client, reply, status).status_code == 204

    reply.refresh_from_db()
    assert reply.provider_status == "delivered"


def test_a_callback_is_signature_checked(client: Client, text: Any) -> None:
    reply = text("KRAMP")
    response = client.post(f"{STATUS_PATH}?m={reply.pk}", {"MessageSid": "SMx", "MessageStatus": "delivered"})

    assert response.status_code == 403


def test_undelivered_to_a_landline_marks_the_number_undeliverable(client: Client, text: Any) -> None:
    reply = text("KRAMP")
    reply.refresh_from_db()
    callback(client, reply, "undelivered", ErrorCode="30006")

    reply.refresh_from_db()
    assert reply.provider_status == "undelivered"
    assert reply.error_code == 30006
    contact = Contact.objects.get()
    assert contact.sms_undeliverable_at is not None
    assert contact.can_receive("voice")  # a landline is exactly what a call can reach


def test_failed_with_21610_marks_the_number_opted_out(client: Client, text: Any) -> None:
    reply = text("KRAMP")
    reply.refresh_from_db()
    callback(client, reply, "failed", ErrorCode="21610")

    assert Contact.objects.get().sms_opted_out


def test_a_callback_for_an_unknown_message_is_logged_not_crashed(client: Client, caplog: Any) -> None:
    unknown = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    response = post_signed(client, STATUS_PATH, unknown)

    assert response.status_code == 204
    assert "status callback for unknown message" in caplog.text


def test_a_callback_with_a_strange_status_is_ignored(client: Client, text: Any, caplog: Any) -> None:
    reply = text("KRAMP")
    reply.refresh_from_db()
    callback(client, reply, "exploded")

    reply.refresh_from_db()
    assert reply.provider_status == "queued"
    assert "unknown status" in caplog.text


def test_a_callback_settles_a_send_whose_answer_timed_out(client: Client, text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.then(Scripted(delay=1.5))
    reply = text("KRAMP")
    reply.refresh_from_db()
    assert reply.uncertain and reply.provider_sid is None

    reply.provider_sid = fake_twilio.accepted[0]["sid"]  # what Twilio's callback carries
    path = f"{STATUS_PATH}?m={reply.pk}"
    post_signed(
        client, path, {"MessageSid": reply.provider_sid, "MessageStatus": "sent", "AccountSid": "AC" + "0" * 32}
    )

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert reply.provider_status == "sent"
    assert not reply.uncertain
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    assert outbound.message_send(message_id=reply.pk).state == "skipped"
    assert len(fake_twilio.creates()) == 1


def _age(message: Message, seconds: float) -> None:
    then = timezone.now() - timedelta(seconds=seconds)
    Message.objects.filter(pk=message.pk).update(created_at=then, updated_at=then, claimed_at=then)


def test_the_sweeper_queues_an_inbound_message_whose_task_was_lost(client: Client, outbox: list[Any]) -> None:
    post_signed(client, INBOUND_PATH, inbound_params(body="KRAMP"))  # on_commit never runs: the task is lost
    inbound = Message.objects.get()
    assert sms_services.inbound_sms_sweep() == []  # too fresh: its task may still be on its way

    _age(inbound, 120)
    sms_tasks.sweep_inbound()

    inbound.refresh_from_db()
    assert inbound.state == Message.State.HANDLED
    assert len(outbox) == 1


def test_the_sweeper_asks_twilio_before_resending_a_send_whose_worker_died(text: Any, fake_twilio: FakeTwilio) -> None:
    reply = text("KRAMP")
    # The worker died after Twilio accepted the message, before saving the answer.
    Message.objects.filter(pk=reply.pk).update(state=Message.State.SENDING, provider_sid=None)
    _age(reply, 120)

    tasks.sweep()

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert [r.method for r in fake_twilio.received] == ["POST", "GET"]


def test_the_sweeper_leaves_a_send_in_progress_alone(text: Any, fake_twilio: FakeTwilio) -> None:
    reply = text("KRAMP")
    Message.objects.filter(pk=reply.pk).update(state=Message.State.SENDING, claimed_at=timezone.now())

    assert services.messages_sweep().outbound == []


def test_handling_the_same_inbound_message_twice_replies_once(client: Client, outbox: list[Any]) -> None:
    post_signed(client, INBOUND_PATH, inbound_params(body="KRAMP"))
    inbound = Message.objects.get()

    sms_tasks.process_inbound(inbound.pk)
    sms_tasks.process_inbound(inbound.pk)

    assert len(outbox) == 1
    assert Message.objects.filter(reply_to=inbound).count() == 1


def test_a_reply_whose_worker_died_before_sending_is_sent_by_the_sweeper_once(
    client: Client, fake_twilio: FakeTwilio
) -> None:
    post_signed(client, INBOUND_PATH, inbound_params(body="KRAMP"))
    reply = sms_services.inbound_sms_handle(message_id=Message.objects.get().pk)  # then the worker dies
    assert reply is not None and reply.state == Message.State.SENDING
    assert services.messages_sweep().outbound == []  # a fresh claim is left alone

    _age(reply, 120)
    tasks.sweep()

    reply.refresh_from_db()
    assert reply.state == Message.State.SUBMITTED
    assert [r.method for r in fake_twilio.received] == ["GET", "POST"]  # asked first, then sent once


MALFORMED_CALLBACKS = [
    pytest.param({"MessageSid": "SM" + "0" * 16 + "\x00" + "0" * 15}, "", id="NUL in MessageSid"),
    pytest.param({"MessageSid": "SM" + "0" * 100}, "", id="MessageSid of 102 characters"),
    pytest.param({"ErrorCode": "²"}, "", id="ErrorCode ²"),
    pytest.param({"ErrorCode": "2147483648"}, "", id="ErrorCode out of int range"),
    pytest.param({"ErrorCode": "-30006"}, "", id="negative ErrorCode"),
    pytest.param({}, "²", id="m=²"),
    pytest.param({}, "9" * 30, id="m out of range"),
    pytest.param({"AccountSid": "AC" + "1" * 32}, "", id="another account"),
]


@pytest.mark.parametrize(("changes", "ref"), MALFORMED_CALLBACKS)
def test_a_malformed_status_callback_is_refused_and_changes_nothing(
    client: Client, text: Any, changes: dict[str, str], ref: str, caplog: Any
) -> None:
    from urllib.parse import quote

    reply = text("KRAMP")
    reply.refresh_from_db()
    params = {
        "MessageSid": reply.provider_sid,
        "MessageStatus": "undelivered",
        "AccountSid": "AC" + "0" * 32,
        "ErrorCode": "30006",
        **changes,
    }
    path = f"{STATUS_PATH}?m={quote(ref or str(reply.pk), safe='')}"

    response = post_signed(client, path, params)

    assert response.status_code == 400
    reply.refresh_from_db()
    assert (reply.provider_status, reply.error_code) == ("queued", None)
    assert Contact.objects.get().sms_undeliverable_at is None
    assert "status callback refused" in caplog.text


def test_a_status_and_its_consequence_are_applied_together_or_not_at_all(
    client: Client, text: Any, monkeypatch: Any
) -> None:
    from contacts import services as contact_services

    reply = text("KRAMP")
    reply.refresh_from_db()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the consequence failed")

    monkeypatch.setattr(contact_services, "contact_mark_undeliverable", broken)
    with pytest.raises(RuntimeError):
        services.message_status_update(
            params={
                "MessageSid": reply.provider_sid,
                "AccountSid": "AC" + "0" * 32,
                "MessageStatus": "undelivered",
                "ErrorCode": "30006",
            },
            message_ref=str(reply.pk),
        )

    reply.refresh_from_db()
    assert (reply.provider_status, reply.error_code) == ("queued", None)  # so Twilio's retry applies all of it


@pytest.mark.postgres
def test_the_largest_error_code_a_callback_may_carry_fits_postgresqls_column(client: Client, text: Any) -> None:
    reply = text("KRAMP")
    reply.refresh_from_db()

    response = callback(client, reply, "failed", ErrorCode="2147483647")

    assert response.status_code == 204
    reply.refresh_from_db()
    assert reply.error_code == 2147483647


def test_a_message_queued_under_the_task_name_it_had_before_the_sms_app_is_still_answered(
    client: Client, outbox: list[Any]
) -> None:
    from project.celery import app

    post_signed(client, INBOUND_PATH, inbound_params(body="KRAMP"))  # its task is lost: queued before a deploy
    inbound = Message.objects.get()

    app.tasks["messaging.tasks.process_inbound"](inbound.pk)  # what a worker runs for that name

    inbound.refresh_from_db()
    assert inbound.state == Message.State.HANDLED
    assert len(outbox) == 1


def test_every_task_name_used_before_the_apps_were_split_still_has_a_task() -> None:
    from project.celery import app

    app.loader.import_default_modules()

    old = ["messaging.tasks.process_inbound", "messaging.tasks.sweep", "messaging.tasks.send_message"]
    old += ["messaging.tasks.forget_erase", "messaging.tasks.twilio_delete", "messaging.tasks.retention"]
    assert [name for name in old if name not in app.tasks] == []
