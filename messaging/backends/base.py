"""The channel interface every SMS backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from messaging.twilio_errors import Outcome


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    sender: str  # E.164 number to send from; empty when a messaging service picks it
    status_callback: str


@dataclass(frozen=True)
class Submitted:
    sid: str
    status: str


class SendError(Exception):
    """A send that did not go through.

    `outcome` says what to do (twilio_errors.Outcome); `uncertain` says the request may
    have reached the provider anyway (a timeout after sending, a 5xx): before trying again,
    ask the provider whether it has the message.
    """

    def __init__(self, message: str, *, outcome: Outcome, code: int | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.code = code
        self.uncertain = uncertain


class SmsBackend(Protocol):
    def send_sms(self, sms: OutgoingSms) -> Submitted:
        """Hand one message to the provider, or raise SendError."""

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        """The provider's record of this message if an earlier attempt reached it, else None.

        Raises SendError when the provider cannot be asked right now.
        """

    def delete_message(self, sid: str) -> None:
        """Delete the provider's record of a message (erasure on request); one already gone is fine.

        Raises SendError when it cannot be done now (try again later).
        """
