"""Random Unicode conversations through the whole inbound path: no text may make handling raise.

Derandomized (the same examples every run) and bounded, so it runs in seconds and never flakes.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts import services as contact_services
from contacts.models import Contact
from messaging.models import Message
from reminders import services as reminder_services
from tests.conftest import INBOUND_PATH, inbound_params, post_signed
from tests.support.people import make_contact

pytestmark = pytest.mark.django_db

# Words the conversation acts on, so random text reaches every branch (times, days, switches).
COMMANDS = [
    *["KRAMP", "CRAMPE", "HELP", "STOP", "START", "ARRÊT"],
    *["REMIND", "HERINNER", "RAPPEL", "ERINNERUNG", "PAUSE", "PAUZE", "RESUME"],
    *["TAAL", "LANGUE", "SPRACHE", "NL", "FRANÇAIS"],
]
# Characters str.isdigit() or str.isnumeric() accepts beyond ASCII: "²", "٣", "③", "½", "Ⅻ"...
# the ones that trip parsing written with str methods.
NUMERIC = sorted({chr(c) for c in range(0x10000) if chr(c).isnumeric()} - set("0123456789"))
NUMBERISH = st.text(st.sampled_from(["0", "1", "7", "8", ":", "h", *NUMERIC]), min_size=1, max_size=4)
ANY_WORD = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
COMMAND = st.builds(
    lambda word, args: " ".join([word, *args]),
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(NUMBERISH, ANY_WORD), max_size=3),
)
BODY = st.one_of(COMMAND, st.lists(st.one_of(ANY_WORD, NUMBERISH), max_size=5).map(" ".join), st.text(max_size=40))

SENDERS = {"subscribed": "+32470100001", "new": "+32470100002", "opted out": "+32470100003", "paused": "+32470100004"}


def _reset(who: str) -> None:
    """The sender's state before each example, so every example starts from a known conversation."""
    Message.objects.all().delete()  # no hourly cap from earlier examples
    Contact.objects.filter(phone_number=SENDERS[who]).delete()
    if who == "new":
        return
    contact = make_contact(phone_number=SENDERS[who], language_id="nl")
    reminder_services.reminders_set_times(contact=contact, times=[time(9), time(17)])
    if who == "opted out":
        contact_services.contact_opt_out(contact=contact, channel="sms", source=Contact.OptOutSource.KEYWORD)
    if who == "paused":
        reminder_services.reminders_pause(contact=contact, text="PAUSE 3")


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversation=st.lists(BODY, min_size=1, max_size=4), who=st.sampled_from(sorted(SENDERS)))
def test_no_text_makes_the_handling_of_a_message_raise(
    client: Client, django_capture_on_commit_callbacks: Any, conversation: list[str], who: str
) -> None:
    _reset(who)
    for body in conversation:
        params = inbound_params(SENDERS[who], body)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, INBOUND_PATH, params)

        assert response.status_code == 200
        inbound = Message.objects.get(provider_sid=params["MessageSid"])
        # Handled at the first attempt: a contained failure would show as a retry or `failed`.
        assert (inbound.state, inbound.attempts) == (Message.State.HANDLED, 1), inbound.note
        opted_out = Contact.objects.filter(phone_number=SENDERS[who], sms_opted_out=True).exists()
        if not opted_out:
            assert inbound.replies.exists(), inbound.note  # never silence
