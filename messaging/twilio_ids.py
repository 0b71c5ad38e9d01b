"""The shapes of Twilio's identifiers, in one place for every channel (SMS now, voice later).

Twilio's signature joins parameter names and values without a separator, so the bytes of a
signed request can be cut up differently and stay signed: remove `NumMedia=0`, append
`NumMedia0` to `MessageSid`, and a replay looks like a new message. An identifier of a fixed
shape cannot gain or lose characters that way, so every one Twilio sends is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings

# Lower-case hex, as Twilio writes them; fullmatch, so no trailing newline slips through.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
# The names under which Twilio repeats a message's SID (older API versions used the Sms* ones).
MESSAGE_SID_PARAMS = ("MessageSid", "SmsSid", "SmsMessageSid")


def is_message_sid(value: str) -> bool:
    return MESSAGE_SID.fullmatch(value) is not None


def is_call_sid(value: str) -> bool:
    return CALL_SID.fullmatch(value) is not None


def is_our_account(value: str) -> bool:
    """Our AccountSid; any well-formed one while none is configured (the console backend in development)."""
    if ACCOUNT_SID.fullmatch(value) is None:
        return False
    ours = str(settings.TWILIO_ACCOUNT_SID)
    return not ours or value.lower() == ours.lower()  # a SID configured in upper-case hex still matches


def message_sid_problem(params: Mapping[str, str]) -> str | None:
    """Why the message identifiers of an SMS webhook or status callback are not Twilio's, or None."""
    if not (params.get("MessageSid") or params.get("SmsSid")):
        return "no MessageSid: not from Twilio's webhook"
    for name in MESSAGE_SID_PARAMS:
        if name in params and not is_message_sid(params[name]):
            return f"malformed {name}: not SM or MM and 32 hex digits"
    if not is_our_account(params.get("AccountSid", "")):
        return "AccountSid is not ours"
    return None
