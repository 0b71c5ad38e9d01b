"""One text that cannot be handled is contained to itself: answered, bounded, never blocking the others."""

from __future__ import annotations

from typing import Any

import pytest

from advice.models import Topic
from messaging.models import Message
from reminders.models import Subscriber

pytestmark = pytest.mark.django_db


def test_pause_with_a_superscript_digit_pauses_instead_of_crashing(text: Any) -> None:
    text("REMIND")

    reply = text("PAUSE ²")  # "²".isdigit() is true, int("²") raises

    assert reply is not None and reply.topic.slug == Topic.REMINDERS_PAUSED
    inbound = Message.objects.get(direction="in", body="PAUSE ²")
    assert inbound.state == Message.State.HANDLED
    subscriber = Subscriber.objects.get()
    assert subscriber.paused_at is not None and subscriber.paused_until is None  # until RESUME, as plain PAUSE


@pytest.mark.parametrize("days", ["٣", "３", "7" * 5000])
def test_pause_days_are_ascii_digits_of_a_sane_length(text: Any, days: str) -> None:
    text("REMIND")

    reply = text(f"PAUSE {days}")

    assert reply is not None
    assert Message.objects.get(direction="in", body=f"PAUSE {days}").state == Message.State.HANDLED
