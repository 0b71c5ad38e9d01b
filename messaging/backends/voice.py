"""The channel interface every voice backend implements: place a call, and ask whether an
earlier attempt placed it. Like the SMS backends (messaging.backends.base), one small
interface; only the Twilio implementation knows Twilio's URLs, parameters and errors.

`get_voice_backend()` returns the configured one (settings.VOICE_BACKEND, registered with
`messaging.backends.get_backend` as the channel "voice"): `twilio` in production, `console`
in development, `locmem` in tests. One instance per process, so HTTP connections are reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from messaging.backends.base import SendError, Submitted

__all__ = ["OutgoingCall", "SendError", "Submitted", "VoiceBackend", "get_voice_backend"]


@dataclass(frozen=True)
class OutgoingCall:
    to: str
    sender: str  # E.164 number the call comes from
    url: str  # our TwiML for the call (signed by Twilio when fetched), naming the attempt
    status_callback: str  # our status callback, naming the attempt
    ring_seconds: int  # how long it rings before "no-answer"
    time_limit_seconds: int  # the longest the call may last


class VoiceBackend(Protocol):
    def place_call(self, call: OutgoingCall) -> Submitted:
        """Ask the provider to place one call, or raise SendError (its `outcome` says what next)."""

    def find_placed(self, call: OutgoingCall, *, since: datetime) -> Submitted | None:
        """A call to `call.to` the provider has created since `since` (an earlier attempt that
        may have reached it: a timeout, a 5xx, a worker killed mid-request), else None.

        Raises SendError when the provider cannot be asked right now.
        """


def get_voice_backend() -> VoiceBackend:
    """The process's voice backend (VOICE_BACKEND), from the one registry of backends per channel."""
    from messaging.backends import get_backend

    return cast(VoiceBackend, get_backend("voice"))
