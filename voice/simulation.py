"""Playing Twilio's side of a call: its parameters, its signature, and walking the TwiML it gets.

Used by the `call` management command (and usable by tests and benchmarks), so that they
send what Twilio sends and follow the answer as Twilio does: a key or words go to the
`<Gather>`'s action, silence follows the `<Redirect>`, `<Hangup>` ends the call.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # our own service's answers
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve
from twilio.request_validator import RequestValidator


def call_params(*, call_sid: str, caller: str, to: str, account_sid: str, **extra: str) -> dict[str, str]:
    params = {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": caller,
        "To": to,
        "Caller": caller,
        "Called": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


@dataclass(frozen=True)
class Said:
    text: str
    voice: str
    language: str


@dataclass
class Turn:
    """One answer of the service: what the caller hears, and how they may answer."""

    said: list[Said]
    action: str | None  # where a key or words go (a <Gather>)
    listens_to_words: bool
    speech_language: str
    redirect: str | None  # where silence goes
    hung_up: bool


def read_twiml(content: bytes) -> Turn:
    root = ET.fromstring(content)  # noqa: S314 - our own service's answer
    gather = root.find("Gather")
    redirect = root.find("Redirect")
    return Turn(
        said=[Said(s.text or "", s.get("voice", ""), s.get("language", "")) for s in root.iter("Say")],
        action=gather.get("action") if gather is not None else None,
        listens_to_words=gather is not None and "speech" in gather.get("input", ""),
        speech_language=gather.get("language", "") if gather is not None else "",
        redirect=redirect.text if redirect is not None else None,
        hung_up=root.find("Hangup") is not None or (gather is None and redirect is None),
    )


@dataclass
class SimulatedCall:
    """One call played through the real views, in this process, signed as Twilio signs."""

    caller: str
    to: str = field(default_factory=lambda: settings.TWILIO_FROM_NUMBER or "+3225550100")
    sid: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")
    turn: Turn | None = None

    def _post(self, url: str, **extra: str) -> Turn:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = call_params(
            call_sid=self.sid,
            caller=self.caller,
            to=self.to,
            account_sid=settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
            CallStatus="ringing" if self.turn is None else "in-progress",
            **extra,
        )
        url = settings.PUBLIC_BASE_URL + path
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
        request = RequestFactory().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
        view: Callable[[HttpRequest], HttpResponse] = resolve(parts.path).func
        response = view(request)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.content.decode()[:200]}")
        self.turn = read_twiml(response.content)
        return self.turn

    def start(self) -> Turn:
        return self._post("/twilio/voice/")

    def press(self, key: str) -> Turn:
        assert self.turn is not None and self.turn.action, "nothing is listening"
        return self._post(self.turn.action, Digits=key)

    def say(self, words: str) -> Turn:
        assert self.turn is not None and self.turn.action, "nothing is listening"
        return self._post(self.turn.action, SpeechResult=words, Confidence="0.9")

    def silence(self) -> Turn:
        assert self.turn is not None and self.turn.redirect, "nothing follows"
        return self._post(self.turn.redirect)
