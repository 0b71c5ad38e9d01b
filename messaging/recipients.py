"""The outbound layer's two questions about a contact, in one place.

- May this contact receive on this channel now (consent and reachability)?
- What does a provider's outcome (an error on sending, a status callback's ErrorCode) do
  to the contact's state on that channel?

Everything else in the pipeline reads the message row only; the contact's own rules live
with the contact (today reminders.services, the subscriber's services).
"""

from __future__ import annotations

from messaging.models import Message
from messaging.presend import Refusal
from messaging.twilio_errors import Outcome
from reminders import services as contact_services
from reminders.models import Subscriber

# Read with every message a sender claims, for `refusal`.
CONTACT = "subscriber"


def refusal(message: Message) -> Refusal | None:
    """Why the message's contact may not receive it on its channel now, if they may not.

    An opt-out confirmation goes to a number that has just opted out: it is the answer to
    the STOP. A message with no contact (a reviewer's preview) has nobody to ask.
    """
    contact = message.subscriber
    if contact is None:
        return None
    if contact.undeliverable_at is not None:
        return Refusal("not sent: the number is undeliverable")
    if contact.is_opted_out and message.purpose != Message.Purpose.OPT_OUT_CONFIRMATION:
        return Refusal("not sent: the number has opted out")
    return None


def outcome_apply(message: Message, outcome: Outcome, *, reason: str) -> None:
    """Record on the contact what the provider said about the number: opted out, or unreachable.

    Unreachable is per channel: a landline refused for SMS (21614, 21635, 30006) is exactly
    what a call can reach, so only the message's channel is marked.
    """
    if message.subscriber_id is None:
        return
    if outcome == Outcome.OPTED_OUT:
        contact_services.subscriber_opt_out_by_id(
            subscriber_id=message.subscriber_id, source=Subscriber.OptOutSource.CARRIER
        )
    elif outcome == Outcome.BAD_NUMBER and message.channel == Message.Channel.SMS:
        contact_services.subscriber_mark_undeliverable(subscriber_id=message.subscriber_id, reason=reason)
