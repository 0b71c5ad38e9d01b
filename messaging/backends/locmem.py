"""The test backend: keeps sent messages in memory, and can be told to fail."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import ClassVar

from messaging.backends.base import OutgoingSms, SendError, Submitted

_sids = itertools.count(1)


class LocmemBackend:
    outbox: ClassVar[list[OutgoingSms]] = []
    deleted: ClassVar[list[str]] = []
    # Errors to raise on the next sends, in order; each is consumed by one send.
    failures: ClassVar[list[SendError]] = []

    @classmethod
    def reset(cls) -> None:
        cls.outbox.clear()
        cls.failures.clear()
        cls.deleted.clear()

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        if self.failures:
            raise self.failures.pop(0)
        self.outbox.append(sms)
        # The shape of a real SID; "f" first keeps them apart from the tests' inbound SIDs.
        return Submitted(sid=f"SMf{next(_sids):031x}", status="queued")

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        return None

    def delete_message(self, sid: str) -> None:
        self.deleted.append(sid)
