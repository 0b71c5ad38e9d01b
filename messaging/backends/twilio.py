"""The Twilio backend: the only code that knows Twilio's REST API, its URLs and its errors."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from typing import Any

import requests
import urllib3
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.backends.base import OutgoingSms, SendError, Submitted
from messaging.phone import mask_numbers
from messaging.twilio_errors import Outcome, classify

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# How far back to look for an earlier attempt's message, beyond the attempt's own start.
LOOKUP_SLACK = timedelta(minutes=2)


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type hints for it
    """Twilio's HTTP client, with a timeout, pointed at TWILIO_API_BASE_URL (a local stand-in)."""

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url.rstrip("/")
        # requests reads proxy and CA settings from the environment on every request (a
        # third of a send's CPU in a profile); read them once, here, instead.
        self.proxy = requests.utils.get_environ_proxies(self.base_url)
        self.session.trust_env = False
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def _never_sent(exc: requests.exceptions.RequestException) -> bool:
    """True when the connection was never made, so Twilio cannot have the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


class TwilioBackend:
    def __init__(self) -> None:
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=RebasedHttpClient(
                base_url=settings.TWILIO_API_BASE_URL, timeout=settings.TWILIO_TIMEOUT_SECONDS
            ),
        )

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        params: dict[str, Any] = {"to": sms.to, "body": sms.body, "status_callback": sms.status_callback}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = sms.sender or settings.TWILIO_FROM_NUMBER
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as exc:
            raise SendError(
                # Twilio's texts quote the number (21211: "The 'To' number +32... is not a
                # valid phone number"); this text is logged and stored: masked.
                f"Twilio answered {exc.status} with error {exc.code}: {mask_numbers(str(exc.msg))}",
                outcome=classify(code=exc.code, http_status=exc.status),
                code=exc.code,
                uncertain=exc.status >= 500,
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise SendError(
                f"Twilio could not be reached: {type(exc).__name__}: {mask_numbers(str(exc))}",
                outcome=Outcome.RETRY,
                uncertain=not _never_sent(exc),
            ) from exc
        except TwilioException as exc:  # an answer the client could not read
            raise SendError(
                f"Twilio's answer was not understood: {mask_numbers(str(exc))}", outcome=Outcome.RETRY, uncertain=True
            ) from exc
        return Submitted(sid=str(message.sid), status=str(message.status or "queued"))

    def find_submitted(self, sms: OutgoingSms, *, since: datetime) -> Submitted | None:
        try:
            recent = self.client.messages.list(to=sms.to, limit=20, page_size=20)
        except TwilioException as exc:
            # A failed page of the list raises the base TwilioException, not TwilioRestException.
            raise SendError(
                f"Twilio could not be asked about an earlier attempt: {mask_numbers(str(exc))}",
                outcome=Outcome.RETRY,
                uncertain=True,
            ) from exc
        except requests.exceptions.RequestException as exc:
            # Its text holds the list's URL, and the URL the number (?To=): the type only, for the logs.
            raise SendError(
                f"Twilio could not be asked about an earlier attempt: {type(exc).__name__}",
                outcome=Outcome.RETRY,
                uncertain=True,
            ) from exc
        for message in recent:
            created = message.date_created
            if message.body == sms.body and (created is None or created >= since - LOOKUP_SLACK):
                return Submitted(sid=str(message.sid), status=str(message.status or "queued"))
        return None

    def delete_message(self, sid: str) -> None:
        try:
            self.client.messages(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # deleted already
            raise SendError(
                f"Twilio answered {exc.status} with error {exc.code} to a deletion: {mask_numbers(str(exc.msg))}",
                outcome=Outcome.RETRY,
                code=exc.code,
            ) from exc
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise SendError(
                f"Twilio could not be asked to delete a message: {type(exc).__name__}", outcome=Outcome.RETRY
            ) from exc
