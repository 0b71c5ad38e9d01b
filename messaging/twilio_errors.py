"""Twilio's error codes, classified once: what each means for the message and for the number.

Used for errors from the REST API (`TwilioRestException.code`) and for the `ErrorCode` of
status callbacks. Sources: Twilio's error dictionary (twilio.com/docs/api/errors).
"""

from __future__ import annotations

from enum import Enum


class Outcome(Enum):
    OPTED_OUT = "opted-out"  # the person opted out at Twilio: send nothing until START
    BAD_NUMBER = "bad-number"  # the number cannot receive SMS, ever: stop trying it
    RETRY = "retry"  # Twilio did not process the request: safe to try again later
    FAILED = "failed"  # this message cannot be sent as it is; the number is not at fault


OPTED_OUT_CODES = frozenset({21610})  # Attempt to send to unsubscribed recipient
BAD_NUMBER_CODES = frozenset(
    {
        21211,  # Invalid 'To' phone number
        21612,  # 'To' number is not currently reachable via SMS
        21614,  # 'To' number is not a valid mobile number
        21635,  # 'To' number cannot be a landline
        30005,  # Unknown destination handset
        30006,  # Landline or unreachable carrier
    }
)
RETRY_CODES = frozenset({20429})  # Too many requests
# Calls: the number cannot be called from here, ever. Unreachable by voice only: texts to
# the same number are unaffected (a landline refused for SMS is exactly what a call reaches).
VOICE_BAD_NUMBER_CODES = frozenset(
    {
        13223,  # Dial: invalid phone number format
        13224,  # Dial: invalid phone number (not a valid, reachable number)
        13227,  # Dial: no international authorization (geographic permission)
        21210,  # 'From' phone number not verified (caller ID not allowed)
        21211,  # Invalid 'To' phone number
        21215,  # Geo permission configuration not permitting call
        21216,  # Call blocked by Twilio blocklist
        21217,  # Phone number does not appear to be valid
        21219,  # 'To' phone number not verified (trial accounts; caller ID not allowed)
    }
)


def classify_call(*, code: int | None, http_status: int | None = None) -> Outcome:
    """What an error placing a call (or a call's final ErrorCode) means: the number cannot be
    called (BAD_NUMBER), try again later (RETRY: 20429, 429, 5xx), or this call failed (FAILED)."""
    if code in VOICE_BAD_NUMBER_CODES:
        return Outcome.BAD_NUMBER
    if code in RETRY_CODES or http_status == 429:
        return Outcome.RETRY
    if http_status is not None and http_status >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


def classify(*, code: int | None, http_status: int | None = None) -> Outcome:
    if code in OPTED_OUT_CODES:
        return Outcome.OPTED_OUT
    if code in BAD_NUMBER_CODES:
        return Outcome.BAD_NUMBER
    if code in RETRY_CODES or http_status == 429:
        return Outcome.RETRY
    if http_status is not None and http_status >= 500:
        return Outcome.RETRY
    return Outcome.FAILED
