"""The test voice backend: keeps placed calls in memory, and can be told to fail."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import ClassVar

from messaging.backends.base import SendError, Submitted
from messaging.backends.voice import OutgoingCall

_sids = itertools.count(1)


class LocmemVoiceBackend:
    placed: ClassVar[list[OutgoingCall]] = []
    # Errors to raise on the next calls, in order; each is consumed by one call.
    failures: ClassVar[list[SendError]] = []
    # What the provider has (find_placed answers from it): calls placed, plus any a test adds.
    known: ClassVar[list[tuple[OutgoingCall, Submitted]]] = []
    lookups: ClassVar[list[str]] = []

    @classmethod
    def reset(cls) -> None:
        cls.placed.clear()
        cls.failures.clear()
        cls.known.clear()
        cls.lookups.clear()

    def place_call(self, call: OutgoingCall) -> Submitted:
        if self.failures:
            raise self.failures.pop(0)
        self.placed.append(call)
        placed = Submitted(sid=f"CAf{next(_sids):031x}", status="queued")
        self.known.append((call, placed))
        return placed

    def find_placed(self, call: OutgoingCall, *, since: datetime) -> Submitted | None:
        self.lookups.append(call.to)
        for known, placed in reversed(self.known):
            if known.to == call.to and known.url == call.url:
                return placed
        return None
