"""The Twilio backend: the only code that knows Twilio's REST API, its URLs and its errors."""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from contacts.phone import mask_numbers
from messaging.backends.base import OutgoingSms, SendError, Submitted
from messaging.twilio_errors import Outcome, classify

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# How far back to look for an earlier attempt's message, beyond the attempt's own start.
LOOKUP_SLACK = timedelta(minutes=2)


class PooledHttpClient(HttpClient):  # type: ignore[misc]  # twilio ships no type hints for it
    """Twilio's client over one urllib3 connection pool, with a timeout, pointed at
    TWILIO_API_BASE_URL (a local stand-in in tests and the benchmark).

    The `twilio` library's own HTTP client goes through `requests`, which prepares every
    request anew (hooks, cookies, auth, environment): a send cost 0.9 ms of CPU that way,
    0.5 ms over urllib3, which requests uses underneath. Proxy and CA settings are read
    from the environment once, as requests would read them.
    """

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.base_url = base_url.rstrip("/")
        ca_bundle = (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or requests.utils.DEFAULT_CA_BUNDLE_PATH
        )
        options: dict[str, Any] = {
            "maxsize": 4,
            "retries": False,  # a retry is the caller's decision: it may have to ask Twilio first
            "cert_reqs": "CERT_REQUIRED",
            "ca_cert_dir" if os.path.isdir(ca_bundle) else "ca_certs": ca_bundle,
        }
        proxy = requests.utils.select_proxy(self.base_url, requests.utils.get_environ_proxies(self.base_url))
        self.pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Raises urllib3.exceptions.HTTPError when no answer came (see _never_sent)."""
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        if params:
            url += "?" + urlencode(params, doseq=True)
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        body = None
        if data is not None and method in ("POST", "PUT"):
            json_body = headers.get("Content-Type", "").endswith("json")
            body = json.dumps(data) if json_body else urlencode(data, doseq=True)
        seconds = timeout or self.timeout
        # urlopen, not request(): the body and headers are complete (twilio sets the
        # Content-Type), and request()'s encoding layer cost a quarter of a send's CPU.
        answer = self.pool.urlopen(
            method,
            url,
            body=body,
            headers=headers,
            redirect=allow_redirects,
            timeout=urllib3.Timeout(connect=seconds, read=seconds),
        )
        return Response(answer.status, answer.data.decode("utf-8", "replace"), answer.headers)


def _never_sent(exc: urllib3.exceptions.HTTPError) -> bool:
    """True when the connection was never made, so Twilio cannot have the request."""
    # Refused, unresolvable or timed out while connecting (NewConnectionError is one too).
    return isinstance(exc, urllib3.exceptions.ConnectTimeoutError)


class TwilioBackend:
    def __init__(self) -> None:
        self.http = PooledHttpClient(base_url=settings.TWILIO_API_BASE_URL, timeout=settings.TWILIO_TIMEOUT_SECONDS)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http)
        self.messages_url = f"{TWILIO_API}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        self.headers = self.client.get_headers("POST", None)  # the library's User-Agent, Accept, Content-Type
        self.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        # Messages create, posted as the twilio client would post it but without building
        # its resource objects around the answer (a fifth of a send's CPU); the client
        # still lists messages (find_submitted).
        form: dict[str, object] = {"To": sms.to, "Body": sms.body, "StatusCallback": sms.status_callback}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            form["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            form["From"] = sms.sender or settings.TWILIO_FROM_NUMBER
        try:
            answer = self.http.request("POST", self.messages_url, data=form, headers=self.headers, auth=self.auth)
        except urllib3.exceptions.HTTPError as exc:
            raise SendError(
                f"Twilio could not be reached: {type(exc).__name__}: {mask_numbers(str(exc))}",
                outcome=Outcome.RETRY,
                uncertain=not _never_sent(exc),
            ) from exc
        try:
            payload = json.loads(answer.text) if answer.text else None
        except ValueError:
            payload = None
        status = answer.status_code
        if not 200 <= status < 300:
            # Twilio's error body: {"code": 21610, "message": ..., "status": 400}; RFC 9457
            # ones carry "detail"; without a code, the HTTP status stands for it (as the
            # twilio client does).
            error = payload if isinstance(payload, dict) else {}
            code = error["code"] if isinstance(error.get("code"), int) else status
            text = error.get("message") or error.get("detail") or error.get("title") or answer.text[:200]
            raise SendError(
                f"Twilio answered {status} with error {code}: {mask_numbers(str(text))}",
                outcome=classify(code=code, http_status=status),
                code=code,
                uncertain=status >= 500,
            )
        if not isinstance(payload, dict) or not payload.get("sid"):
            raise SendError(
                f"Twilio's answer was not understood: {mask_numbers(answer.text[:200])!r}",
                outcome=Outcome.RETRY,
                uncertain=True,
            )
        return Submitted(sid=str(payload["sid"]), status=str(payload.get("status") or "queued"))

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
        except urllib3.exceptions.HTTPError as exc:
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
        """Delete a message's or a call's record at Twilio (a call is a row of the log too)."""
        try:
            record = self.client.calls(sid) if sid.startswith("CA") else self.client.messages(sid)
            record.delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # deleted already
            raise SendError(
                f"Twilio answered {exc.status} with error {exc.code} to a deletion: {mask_numbers(str(exc.msg))}",
                outcome=Outcome.RETRY,
                code=exc.code,
            ) from exc
        except (TwilioException, urllib3.exceptions.HTTPError) as exc:
            raise SendError(
                f"Twilio could not be asked to delete a message: {type(exc).__name__}", outcome=Outcome.RETRY
            ) from exc
