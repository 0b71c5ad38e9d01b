"""The Twilio voice backend: reminder calls placed through Programmable Voice's REST API.

The only code that knows Calls create's parameters and what its errors mean for a number
(messaging.twilio_errors.classify_call). Each call names our TwiML endpoint (`Url`, which
identifies the attempt; Twilio signs its request for it) and our status callback with the
four events, rings `Timeout` seconds, lasts at most `TimeLimit`, and waits for a machine's
beep before asking for the TwiML (`MachineDetection=DetectMessageEnd`, synchronous: a
voicemail hears the short reminder after the beep, and counts as delivered).

Calls create takes no idempotency key: after an attempt that may have reached Twilio, the
next one first lists the calls to that number since the attempt began (`find_placed`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from contacts.phone import mask_numbers
from messaging.backends.base import SendError, Submitted
from messaging.backends.twilio import PooledHttpClient
from messaging.backends.voice import OutgoingCall
from messaging.twilio_errors import Outcome, classify_call

# Twilio's clock and ours differ a little; a call created just before the attempt's start still counts.
LOOKUP_SLACK = timedelta(minutes=2)
STATUS_CALLBACK_EVENTS = ["initiated", "ringing", "answered", "completed"]


class TwilioVoiceBackend:
    def __init__(self) -> None:
        self.http = PooledHttpClient(base_url=settings.TWILIO_API_BASE_URL, timeout=settings.TWILIO_TIMEOUT_SECONDS)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http)

    def place_call(self, call: OutgoingCall) -> Submitted:
        try:
            created = self.client.calls.create(
                to=call.to,
                from_=call.sender or settings.TWILIO_FROM_NUMBER,
                url=call.url,
                method="POST",
                status_callback=call.status_callback,
                status_callback_method="POST",
                status_callback_event=STATUS_CALLBACK_EVENTS,
                timeout=call.ring_seconds,
                time_limit=call.time_limit_seconds,
                machine_detection="DetectMessageEnd",
            )
        except TwilioRestException as exc:
            status = int(exc.status or 0)
            code = exc.code if isinstance(exc.code, int) else status
            raise SendError(
                f"Twilio answered {status} with error {code}: {mask_numbers(str(exc.msg))}",
                outcome=classify_call(code=code, http_status=status),
                code=code,
                uncertain=status >= 500,
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            # Refused or timed out while connecting: Twilio cannot have it. Anything later may have.
            never_sent = isinstance(exc, urllib3.exceptions.ConnectTimeoutError)
            raise SendError(
                f"Twilio could not be reached: {type(exc).__name__}", outcome=Outcome.RETRY, uncertain=not never_sent
            ) from exc
        except TwilioException as exc:
            raise SendError(
                f"Twilio's answer was not understood: {type(exc).__name__}", outcome=Outcome.RETRY, uncertain=True
            ) from exc
        return Submitted(sid=str(created.sid), status=str(created.status or "queued"))

    def find_placed(self, call: OutgoingCall, *, since: datetime) -> Submitted | None:
        # By number only, then by creation time here: a call still queued has no start time
        # for Twilio's StartTime filter to compare.
        try:
            recent = self.client.calls.list(to=call.to, limit=20, page_size=20)
        except (TwilioException, urllib3.exceptions.HTTPError) as exc:
            # The text holds the list's URL, and the URL the number: the type only.
            raise SendError(
                f"Twilio could not be asked about an earlier call: {type(exc).__name__}",
                outcome=Outcome.RETRY,
                uncertain=True,
            ) from exc
        for placed in recent:
            created = placed.date_created
            if created is None or created >= since - LOOKUP_SLACK:
                return Submitted(sid=str(placed.sid), status=str(placed.status or "queued"))
        return None
