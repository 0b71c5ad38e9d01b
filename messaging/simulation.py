"""Playing Twilio's side of the inbound webhook: its parameters and its signature.

Used by the `sms` management command, the tests and the benchmark, so all three send what
Twilio sends.
"""

from __future__ import annotations

import uuid

from twilio.request_validator import RequestValidator


def inbound_sms_params(
    *, sender: str, body: str, to: str, account_sid: str, message_sid: str | None = None, **extra: str
) -> dict[str, str]:
    params = {
        "MessageSid": message_sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def twilio_signature(url: str, params: dict[str, str], *, auth_token: str) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`, as Twilio computes it."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


# --- The try-it phone -----------------------------------------------------------------------
# The browser's phone (tryit) texts from numbers in this block: Belgian in form (so replies
# follow the Belgian rules: Belgian time, the languages' priority) but in a range that no
# operator has been given (phonenumbers calls them possible, not valid), so nobody owns one.
# Every message to such a number goes to the simulator backend, never to Twilio, whatever
# sends it: a reply, a reminder, an advisory.
SIMULATED_PREFIX = "+32400"
# The simulator's SIDs: "SMtryit" and hex, a shape Twilio never gives (its SIDs are SM and
# 32 hex digits), so a simulated record is known by its SID alone, and never deleted at Twilio.
SIMULATED_SID_PREFIX = "SMtryit"


def is_simulated_number(number: str) -> bool:
    return number.startswith(SIMULATED_PREFIX)


def simulated_number(seed: int) -> str:
    """The simulated phone number for a seed (an admin's id, a visitor's session): +32400xxxxxx."""
    return f"{SIMULATED_PREFIX}{seed % 1_000_000:06d}"
