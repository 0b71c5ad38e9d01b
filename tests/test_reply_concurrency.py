"""Two first messages from the same new number, handled at the same instant by two workers,
over real connections: one contact row, one reply each, both in the number's language."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from contacts.models import Contact
from messaging.models import Message
from sms import services, tasks
from tests.conftest import inbound_params
from tests.test_reminder_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_first_messages_from_one_number_at_once_make_one_contact_and_one_reply_each(outbox: list[Any]) -> None:
    numbers = [f"+3247{index:07d}" for index in range(40)]
    french = [services.inbound_sms_record(params=inbound_params(n, "CRAMPE")).message.pk for n in numbers]
    german = [services.inbound_sms_record(params=inbound_params(n, "KRAMPF")).message.pk for n in numbers]

    def handle(ids: list[int]) -> None:
        for message_id in ids:
            tasks.process_inbound(message_id)

    race(lambda: handle(french), lambda: handle(german))

    assert Contact.objects.count() == 40
    assert not Message.objects.filter(direction=Message.Direction.INBOUND).exclude(state=Message.State.HANDLED)
    replies = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert Counter(replies.values_list("phone_number", flat=True)) == dict.fromkeys(numbers, 2)
    languages = dict(Contact.objects.values_list("phone_number", "language_id"))
    for reply in replies:
        # Whichever message came first set the language; the other was decided on that row.
        assert reply.language == languages[reply.phone_number]
    assert len(outbox) == 80
