"""The outbound layer's two questions about a contact, in one place.

- May this contact receive on this channel now (consent and reachability)?
- What does a provider's outcome (an error on sending, a status callback's ErrorCode) do
  to the contact's state on that channel?

Everything else in the pipeline reads the message row only; the contact's own rules live
with the contact (contacts.models.Contact.can_receive, contacts.services).
"""

from __future__ import annotations

from typing import cast

from contacts import services as contact_services
from contacts.models import Channel, Contact
from messaging.models import Message
from messaging.presend import Refusal
from messaging.twilio_errors import Outcome

# Read with every message a sender claims, for `refusal`.
CONTACT = "contact"


def refusal(message: Message) -> Refusal | None:
    """Why the message's contact may not receive it on its channel now, if they may not.

    An opt-out confirmation goes to a number that has just opted out: it is the answer to
    the STOP. A message with no contact (a reviewer's preview) has nobody to ask.
    """
    contact = message.contact
    if contact is None:
        return None
    channel = cast(Channel, message.channel)
    if contact.can_receive(channel):
        return None
    if contact.is_undeliverable(channel):
        return Refusal("not sent: the number is undeliverable")
    if message.purpose != Message.Purpose.OPT_OUT_CONFIRMATION:
        return Refusal("not sent: the number has opted out")
    return None


def outcome_apply(message: Message, outcome: Outcome, *, reason: str) -> None:
    """Record on the contact what the provider said about the number: opted out, or unreachable.

    Both are per channel: a landline refused for SMS (21614, 21635, 30006) is exactly what
    a call can reach, so only the message's channel is marked.
    """
    if message.contact_id is None:
        return
    channel = cast(Channel, message.channel)
    if outcome == Outcome.OPTED_OUT:
        contact_services.contact_opt_out_by_id(
            contact_id=message.contact_id, channel=channel, source=Contact.OptOutSource.CARRIER
        )
    elif outcome == Outcome.BAD_NUMBER:
        contact_services.contact_mark_undeliverable(contact_id=message.contact_id, channel=channel, reason=reason)
