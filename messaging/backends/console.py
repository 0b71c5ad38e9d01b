"""The development backend: shows each outgoing message instead of calling Twilio."""

from __future__ import annotations

import logging
import sys
import uuid
from datetime import datetime

from advice.encoding import sms_size
from messaging.backends.base import OutgoingSms, Submitted

logger = logging.getLogger(__name__)


class ConsoleBackend:
    def send_sms(self, sms: OutgoingSms) -> Submitted:
        size = sms_size(sms.body)
        rule = "-" * 64
        sys.stdout.write(
            f"\n{rule}\nSMS to {sms.to} from {sms.sender or 'the messaging service'}"
            f" ({size.encoding}, {size.characters} characters, {size.segments} segment(s))\n"
            f"{rule}\n{sms.body}\n{rule}\n"
        )
        sys.stdout.flush()
        return Submitted(sid=f"SM{uuid.uuid4().hex}", status="sent")

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        # Nothing was ever sent anywhere: a new attempt shows the message again.
        return None

    def delete_message(self, sid: str) -> None:
        pass  # nothing was sent anywhere
