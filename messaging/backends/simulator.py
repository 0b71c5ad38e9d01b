"""The try-it phone's backend: messages to simulated numbers stop here, never reaching Twilio.

`SimulatorRouter` sits in front of whatever backend is configured (get_backend builds it):
a message to a simulated number (messaging.simulated) goes to `SimulatorBackend`, which
keeps nothing and answers as Twilio would; everything else goes to the real backend. The
browser's phone reads its replies from the message log, where every row is kept as usual.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from messaging.backends.base import OutgoingSms, SmsBackend, Submitted
from messaging.simulated import SIMULATED_SID_PREFIX, is_simulated_number

logger = logging.getLogger(__name__)


class SimulatorBackend:
    def send_sms(self, sms: OutgoingSms) -> Submitted:
        sid = f"{SIMULATED_SID_PREFIX}{uuid.uuid4().hex[: 34 - len(SIMULATED_SID_PREFIX)]}"
        logger.info("simulated SMS %s kept for the try-it phone, not sent", sid)
        return Submitted(sid=sid, status="delivered")

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        return None  # the message log is the only record: an uncertain attempt simply shows again

    def delete_message(self, sid: str) -> None:
        pass  # nothing of it is anywhere but here


class SimulatorRouter:
    """The configured backend, with simulated numbers (and their SIDs) kept away from it."""

    def __init__(self, backend: SmsBackend) -> None:
        self.backend = backend
        self.simulator = SimulatorBackend()

    def _for(self, to: str) -> SmsBackend:
        return self.simulator if is_simulated_number(to) else self.backend

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        return self._for(sms.to).send_sms(sms)

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        return self._for(sms.to).find_submitted(sms, since=since)

    def delete_message(self, sid: str) -> None:
        if sid.startswith(SIMULATED_SID_PREFIX):
            return self.simulator.delete_message(sid)
        return self.backend.delete_message(sid)

    def __getattr__(self, name: str) -> Any:
        # The real backend's own attributes (its client, its outbox) stay reachable.
        return getattr(self.backend, name)
