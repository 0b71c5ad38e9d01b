"""The try-it phone's numbers and SIDs: messages that stay here, never reaching Twilio.

The browser's phone (tryit) texts from numbers in the block `SIMULATED_PREFIX`: Belgian in
form (so replies follow the Belgian rules: Belgian time, the languages' priority) but in a
range that no operator has been given (phonenumbers calls them possible, not valid), so
nobody owns one. Every message to such a number goes to the simulator backend
(backends/simulator.py), never to Twilio, whatever sends it: a reply, a reminder, an advisory.
"""

from __future__ import annotations

SIMULATED_PREFIX = "+32400"
# The simulator's SIDs: "SMtryit" and hex, a shape Twilio never gives (its SIDs are SM and
# 32 hex digits), so a simulated record is known by its SID alone, and never deleted at Twilio.
SIMULATED_SID_PREFIX = "SMtryit"


def is_simulated_number(number: str) -> bool:
    return number.startswith(SIMULATED_PREFIX)


def simulated_number(seed: int) -> str:
    """The simulated phone number for a seed (an admin's id, a visitor's session): +32400xxxxxx."""
    return f"{SIMULATED_PREFIX}{seed % 1_000_000:06d}"
