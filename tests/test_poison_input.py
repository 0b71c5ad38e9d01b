"""One text that cannot be handled is contained to itself: answered, bounded, never blocking the others."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from advice.models import Topic
from contacts.models import Contact
from conversation import services as conversation
from messaging.models import Message
from sms import services, tasks
from tests.conftest import INBOUND_PATH, inbound_params, post_signed
from tests.support.people import plan

pytestmark = pytest.mark.django_db

SENDER = "+32470123456"


def test_pause_with_a_superscript_digit_pauses_instead_of_crashing(text: Any) -> None:
    text("REMIND")

    reply = text("PAUSE ²")  # "²".isdigit() is true, int("²") raises

    assert reply is not None and reply.topic.slug == Topic.REMINDERS_PAUSED
    inbound = Message.objects.get(direction="in", body="PAUSE ²")
    assert inbound.state == Message.State.HANDLED
    contact = Contact.objects.get()
    assert plan(contact).paused_at is not None and plan(contact).paused_until is None  # until RESUME, as plain PAUSE


@pytest.mark.parametrize("days", ["٣", "３", "7" * 5000])
def test_pause_days_are_ascii_digits_of_a_sane_length(text: Any, days: str) -> None:
    text("REMIND")

    reply = text(f"PAUSE {days}")

    assert reply is not None
    assert Message.objects.get(direction="in", body=f"PAUSE {days}").state == Message.State.HANDLED


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"a bug that quotes its input: {kwargs.get('text')!r}")


def test_a_message_whose_handling_always_raises_gets_the_menu_once_and_stops(
    text: Any, outbox: list[Any], monkeypatch: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(conversation, "decide", _broken)

    reply = text("KRAMP secret words")

    inbound = Message.objects.get(direction="in")
    assert inbound.state == Message.State.FAILED
    assert inbound.attempts == services.INBOUND_MAX_ATTEMPTS
    assert "RuntimeError" in inbound.note
    assert reply is not None and reply.topic.slug == Topic.MENU
    assert len(outbox) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert str(inbound.pk) in errors[0].getMessage()
    assert SENDER not in caplog.text and "secret words" not in caplog.text  # nor in tracebacks

    # Never again: the sweeper leaves a final message alone, and a late task does nothing.
    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert inbound.pk not in services.inbound_sms_sweep()
    tasks.process_inbound(inbound.pk)
    assert len(outbox) == 1


def test_a_transient_failure_is_retried_and_the_message_answered_normally(
    text: Any, outbox: list[Any], monkeypatch: Any, caplog: Any
) -> None:
    real_decide = conversation.decide
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database went away for a moment")
        return real_decide(**kwargs)

    monkeypatch.setattr(conversation, "decide", flaky)

    reply = text("KRAMP")

    assert reply is not None and reply.topic.slug == "cramp"
    inbound = Message.objects.get(direction="in")
    assert (inbound.state, inbound.attempts) == (Message.State.HANDLED, 2)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_message_that_killed_its_workers_is_given_up_without_handling_it_again(
    client: Client, outbox: list[Any], monkeypatch: Any
) -> None:
    post_signed(client, INBOUND_PATH, inbound_params(body="KRAMP"))  # its task is lost
    inbound = Message.objects.get()
    # Each earlier attempt died with its worker (out of memory, a hard time limit): only the count remains.
    Message.objects.filter(pk=inbound.pk).update(attempts=services.INBOUND_MAX_ATTEMPTS)
    monkeypatch.setattr(conversation, "decide", _broken)

    tasks.process_inbound(inbound.pk)

    inbound.refresh_from_db()
    assert inbound.state == Message.State.FAILED
    assert len(outbox) == 1
    assert Message.objects.get(direction="out").topic.slug == Topic.MENU


def test_a_poison_message_from_an_opted_out_number_gets_no_answer(
    text: Any, outbox: list[Any], monkeypatch: Any
) -> None:
    text("STOP")
    monkeypatch.setattr(conversation, "decide", _broken)

    assert text("KRAMP") is None

    assert Message.objects.get(direction="in", body="KRAMP").state == Message.State.FAILED
    assert len(outbox) == 1  # the stop confirmation only


def _stale_inbound(count: int, sender: str, minutes_ago: float, body: str = "KRAMP") -> list[int]:
    then = timezone.now() - timedelta(minutes=minutes_ago)
    rows = Message.objects.bulk_create(
        Message(direction="in", state=Message.State.RECEIVED, phone_number=sender, body=body) for _ in range(count)
    )
    ids = [row.pk for row in rows]
    Message.objects.filter(pk__in=ids).update(created_at=then, updated_at=then)
    return ids


def test_one_number_cannot_fill_a_sweep(settings: Any) -> None:
    genuine = [_stale_inbound(1, f"+3247000{n:04d}", minutes_ago=5)[0] for n in range(20)]
    poison = _stale_inbound(600, "+32470999999", minutes_ago=10, body="PAUSE ²")

    swept = services.inbound_sms_sweep(limit=500)

    assert set(genuine) <= set(swept)
    assert len(set(poison) & set(swept)) == services.SWEEP_PER_NUMBER


def test_the_sweeper_takes_the_oldest_first() -> None:
    newest = _stale_inbound(1, "+32470000001", minutes_ago=2)
    oldest = _stale_inbound(1, "+32470000002", minutes_ago=30)
    middle = _stale_inbound(1, "+32470000003", minutes_ago=10)

    assert services.inbound_sms_sweep(limit=2) == [*oldest, *middle]
    assert services.inbound_sms_sweep(limit=3) == [*oldest, *middle, *newest]


def test_an_unexpected_error_while_sending_the_reply_is_retried_like_a_timeout(text: Any, caplog: Any) -> None:
    from messaging.backends.locmem import LocmemBackend

    LocmemBackend.failures.append(RuntimeError("a bug in a backend"))  # type: ignore[arg-type]

    reply = text("KRAMP")

    reply.refresh_from_db()
    assert reply.state == Message.State.PENDING and reply.next_attempt_at is not None
    assert reply.uncertain  # it may have reached Twilio: ask before sending again
    assert "RuntimeError" in reply.error_message
