"""Written-out statements (messaging.rows) store and read rows as the ORM does, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from contacts.models import Contact
from messaging import rows
from messaging.models import Message
from tests.support.people import make_contact

pytestmark = pytest.mark.django_db


def test_it_reads_every_field_as_the_orm_does() -> None:
    now = timezone.now()
    contact = make_contact(
        phone_number="+32470123456",
        language_id="fr",
        sms_opted_out=True,
        sms_opted_out_at=now,
        sms_undeliverable_at=now,
        sms_undeliverable_reason="Twilio error 21614",
        time_zone="Europe/Brussels",
    )

    fetched = rows.fetch_one(Contact, "SELECT * FROM contacts_contact WHERE id = %s", [contact.pk])

    expected = Contact.objects.get(pk=contact.pk)
    assert fetched is not None
    assert fetched.get_deferred_fields() == set()
    for field in Contact._meta.concrete_fields:
        assert getattr(fetched, field.attname) == getattr(expected, field.attname), field.name
    assert fetched.sms_opted_out is True
    assert not fetched.can_receive("sms")
    assert fetched.can_receive("voice")


def test_columns_not_selected_load_when_read() -> None:
    message = Message.objects.create(
        direction=Message.Direction.INBOUND, body="STOP", state=Message.State.RECEIVED, params={"OptOutType": "STOP"}
    )

    fetched = rows.fetch_one(Message, "SELECT id, body, params FROM messaging_message WHERE id = %s", [message.pk])

    assert fetched is not None
    assert fetched.params == {"OptOutType": "STOP"}
    assert "state" in fetched.get_deferred_fields()
    assert fetched.state == Message.State.RECEIVED


def test_no_row_reads_as_none() -> None:
    assert rows.fetch_one(Message, "SELECT * FROM messaging_message WHERE id = %s", [12345]) is None


def test_it_inserts_defaults_and_auto_now_as_save_does() -> None:
    message = Message(
        direction=Message.Direction.OUTBOUND, body="hello", state=Message.State.SENDING, params={"a": [1]}
    )

    assert rows.insert_row(message) is True

    stored = Message.objects.get(pk=message.pk)
    assert not message._state.adding
    assert stored.params == {"a": [1]}
    assert stored.attempts == 0 and stored.uncertain is False and stored.provider_sid is None
    assert stored.created_at == message.created_at is not None


def test_a_conflicting_insert_is_skipped_when_asked_and_the_transaction_goes_on() -> None:
    make_contact(phone_number="+32470123456", language_id="fr")

    with transaction.atomic():
        assert rows.insert_row(Contact(phone_number="+32470123456"), ignore_conflicts=True) is False
        assert Contact.objects.get().language_id == "fr"


def test_a_conflicting_insert_raises_otherwise() -> None:
    make_contact(phone_number="+32470123456")

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_row(Contact(phone_number="+32470123456"))


def test_it_saves_only_the_fields_named_and_sets_auto_now() -> None:
    message = Message.objects.create(direction=Message.Direction.INBOUND, body="KRAMP", state=Message.State.RECEIVED)
    before = message.updated_at
    Message.objects.filter(pk=message.pk).update(body="changed elsewhere")
    message.note = "understood"
    message.state = Message.State.HANDLED

    rows.save_fields(message, ["note", "updated_at"])

    stored = Message.objects.get(pk=message.pk)
    assert (stored.note, stored.body, stored.state) == ("understood", "changed elsewhere", Message.State.RECEIVED)
    assert stored.updated_at == message.updated_at > before


def test_saving_a_row_that_is_gone_raises_as_save_does() -> None:
    message = Message.objects.create(direction=Message.Direction.INBOUND, body="KRAMP", state=Message.State.RECEIVED)
    Message.objects.filter(pk=message.pk).delete()

    with pytest.raises(DatabaseError):
        rows.save_fields(message, ["note"])
