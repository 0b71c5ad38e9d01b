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
