"""The development voice backend: prints each call instead of placing it."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime

from contacts.phone import masked
from messaging.backends.base import Submitted
from messaging.backends.voice import OutgoingCall


class ConsoleVoiceBackend:
    def place_call(self, call: OutgoingCall) -> Submitted:
        sid = f"CA{uuid.uuid4().hex}"
        sys.stdout.write(f"[call] {sid} to {masked(call.to)}: TwiML at {call.url}\n")
        sys.stdout.flush()
        return Submitted(sid=sid, status="queued")

    def find_placed(self, call: OutgoingCall, *, since: datetime) -> Submitted | None:
        return None
