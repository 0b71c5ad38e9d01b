"""The try-it phone: a text typed in the browser goes through the real webhook view and rules.

`sms_try` does what `./run sms --inline` does: it signs the message as Twilio would, posts it
to the SMS webhook view, and handles it in this process (a running worker may race for it;
handling is idempotent, so one of them answers). The sender is always a simulated number
(messaging.simulated), so the reply, and any reminder or advisory that follows, is recorded
in the message log and kept by the simulator backend, never sent to Twilio. `thread` reads
what the phone shows back from the message log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext

from messaging.models import Message
from messaging.simulated import SIMULATED_SID_PREFIX, is_simulated_number
from sms import tasks
from sms.simulation import inbound_sms_params, twilio_signature
from sms.views import inbound_sms

MAX_TEXT = 1600  # Twilio's own limit for a message body
THREAD_LENGTH = 50


class NotSimulated(ValueError):
    """The number is not one of the simulated ones: the phone never texts as a real person."""


@dataclass(frozen=True)
class Bubble:
    """One message as the phone shows it."""

    id: int
    incoming: bool  # from the service to the phone
    text: str
    at: datetime
    note: str  # what was understood, or the reply's state and purpose


def sms_try(*, sender: str, text: str) -> Message:
    """Text the service from a simulated number; returns the inbound row once handled."""
    if not is_simulated_number(sender):
        raise NotSimulated(sender)
    path = reverse("sms:inbound-sms")
    params = inbound_sms_params(
        sender=sender,
        body=text[:MAX_TEXT],
        to=settings.TWILIO_FROM_NUMBER,
        account_sid=settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
        # Kept in the inbound row's parameters: the message log says where it came from.
        Simulated="try-it",
    )
    signature = twilio_signature(settings.PUBLIC_BASE_URL + path, params, auth_token=settings.TWILIO_AUTH_TOKEN)
    request = RequestFactory().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    inbound_sms(request)
    inbound = Message.objects.get(provider_sid=params["MessageSid"])
    if inbound.state == Message.State.RECEIVED:
        tasks.process_inbound(inbound.pk)
        inbound.refresh_from_db()
    return inbound


def thread(*, number: str, limit: int = THREAD_LENGTH) -> list[Bubble]:
    """The simulated number's last messages, in and out, oldest first."""
    if not is_simulated_number(number):
        raise NotSimulated(number)
    # By the contact (both indexed), not by the message's number (which is not): the page asks
    # every few seconds, and the message log is the largest table.
    rows = Message.objects.filter(contact__phone_number=number, channel=Message.Channel.SMS).order_by(
        "-created_at", "-id"
    )
    bubbles = [
        Bubble(
            id=row.pk,
            incoming=row.direction == Message.Direction.OUTBOUND,
            text=row.body,
            at=row.created_at,
            note=_note(row),
        )
        for row in rows[:limit]
    ]
    return bubbles[::-1]


def _note(row: Message) -> str:
    if row.direction == Message.Direction.INBOUND:
        return row.note
    # Handed over (or being handed) to the simulator: the phone shows it as the person gets it.
    # A worker may be sending it while the page reads the thread: "being handed to Twilio" would mislead.
    handed = row.state == Message.State.SENDING or (row.provider_sid or "").startswith(SIMULATED_SID_PREFIX)
    state = gettext("simulated, not sent") if handed else row.get_state_display()
    return f"{row.get_purpose_display()}: {state}"
