"""A programmable phone that plays Twilio's side of a voice call against the service.

Twilio is the one party tests cannot reach, so this plays it: it sends the webhooks Twilio
sends (form-encoded, signed with `X-Twilio-Signature` by the `twilio` package's
`RequestValidator` over the public URL), checks every TwiML answer with
tests/support/twiml_check.py, and walks it as Twilio would, feeding the keys or words a test
scripts. It records a transcript: what the caller heard (text, voice, language), what they
pressed or said, every request, every status callback.

An inbound call, in-process through Django's test client (fast; `client` is pytest-django's):

    phone = TwilioPhone.for_django(client)  # TwilioPhone(DjangoClientTransport(client),
                                            #   auth_token=..., account_sid=...)
    call = phone.call(from_="+32470123456", to="+3225550100",
                      url=settings.PUBLIC_BASE_URL + "/twilio/voice/",
                      keys=["1", Speech("crampe", confidence=0.91), SILENCE, "0", HANG_UP],
                      status_callback=settings.PUBLIC_BASE_URL + "/twilio/voice/status/")
    assert call.heard[0] == "Welkom bij ..."           # every <Say>, in order
    assert call.said_with[0][1:] == ("Polly.Lisa-Neural", "nl-BE")
    assert call.status == "completed" and call.ended_by == "caller"
    print(call.transcript())

The same against a real server (gunicorn, `live_server`): `TwilioPhone.for_server(live_server.url)`
(an `HttpTransport(live_server.url, public_base_url=settings.PUBLIC_BASE_URL)`); requests still
name and sign the public URL, as Twilio's do behind a proxy, and go to the real address.

Scripted input, one item per `<Gather>` reached: a string of keys (`"1"`, `"0930"`, `"12#"`:
the finish key ends the input and is not sent; only `numDigits` keys are taken),
`Speech(text, confidence)`, `SILENCE` (the gather times out: Twilio runs the verbs after it,
or posts to `action` when `actionOnEmptyResult="true"`), or `HANG_UP` (the caller hangs up
there). When the script runs out the caller stays silent. Keys where the gather listens only
for speech (or words where it listens only for keys) count as silence, as on Twilio. `keys`
may also be a function `(Prompt) -> input`: `keyboard` reads from a terminal (`./run call`).

An outbound call the service placed through the stand-in (tests/support/fake_twilio.py):

    placed = fake.wait_for_calls(1)[0]
    call = phone.answer(placed, answered_by="machine_end_beep", fake=fake)
    # or phone.answer(placed, outcome="busy" | "no-answer" | "failed", fake=fake)

Through Django's test client, play it from the test's own thread as above (the test's
database transaction is not visible from other threads). With the service on a real server,
the stand-in can play each call itself: `fake.on_call = lambda placed: phone.answer(placed,
fake=fake)` then `fake.wait_for_played(1)`; `fake.play_before_answering = True` delivers every
status callback before the create's answer, the order a worker must survive.

It sends the StatusCallbackEvents the create asked for (initiated, ringing, answered,
completed, with CallDuration), fetches `Url` (or plays inline `Twiml`) with
CallStatus=in-progress, Direction=outbound-api and, when MachineDetection was asked,
AnsweredBy (with AsyncAmd=true, AnsweredBy goes to AsyncAmdStatusCallback instead), and moves
the stand-in's Call resource along (status, answered_by, duration) so `calls.list` sees what
Twilio would. A machine presses nothing. A hang-up through the REST API (`Status=completed`)
ends the call at its next step. `TimeLimit` ends it too, on the simulated clock.

Not modelled: `<Dial>`, `<Record>`, `<Enqueue>` and the media verbs are recorded as
"unsupported" and skipped; time is simulated (a `<Say>` lasts its words at 2.5 per second),
nothing waits. A service error (non-2xx, invalid TwiML, no answer in 15 s) goes to the
`fallback_url` with ErrorCode/ErrorUrl when one is given, as Twilio does; otherwise the call
ends on Twilio's "application error". With `strict=True` (the default) any error, invalid
TwiML or the loop guard (`max_steps` requests) raises `CallError` with the transcript once
the call is over; `strict=False` leaves it in `call.errors` for the test to look at. A status
callback answered with anything but 2xx is such an error too.
"""

from __future__ import annotations

import math
import time
import uuid
import xml.etree.ElementTree as ET  # our own service's answers, in tests
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

from twilio.request_validator import RequestValidator

from tests.support.twiml_check import parse_twiml, say_text, twiml_problems

if TYPE_CHECKING:
    from tests.support.fake_twilio import FakeTwilio, PlacedCall

API_VERSION = "2010-04-01"
TWILIO_TIMEOUT_SECONDS = 15.0
WORDS_PER_SECOND = 2.5
ENDED_BY_API = (None, "completed", "canceled")  # a call's status after a REST hang-up or delete

# Caller IDs Twilio sends for a withheld number (its keypad spellings) and the plain word.
WITHHELD = {
    "anonymous": "anonymous",
    "+266696687": "ANONYMOUS",
    "+86282452253": "UNAVAILABLE",
    "+8656696": "UNKNOWN",
    "+2562533": "BLOCKED",
    "+7378742833": "RESTRICTED",
}
# Enough of the numbering plan for the caller-location fields Twilio adds (longest prefix first).
COUNTRIES = {
    "+352": "LU",
    "+353": "IE",
    "+377": "MC",
    "+423": "LI",
    "+266": "LS",
    "+256": "UG",
    "+32": "BE",
    "+33": "FR",
    "+31": "NL",
    "+49": "DE",
    "+43": "AT",
    "+41": "CH",
    "+44": "GB",
    "+86": "CN",
    "+1": "US",
    "+7": "RU",
}


@dataclass(frozen=True)
class Speech:
    """Words the caller says at a speech `<Gather>`, as Twilio's recogniser would report them."""

    text: str
    confidence: float = 0.9


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SILENCE = _Marker("SILENCE")
HANG_UP = _Marker("HANG_UP")
Input = str | Speech | _Marker | None


@dataclass
class Prompt:
    """A `<Gather>` waiting for input: what it accepts and what the caller heard since the last one."""

    input: list[str]
    num_digits: int | None
    timeout: int
    language: str | None
    finish_on_key: str
    heard: list[Event]


@dataclass
class Event:
    """One line of the transcript: kind is say, play, pause, gather, press, speak, silence,
    redirect, hangup, reject, unsupported or error."""

    kind: str
    text: str = ""
    voice: str | None = None
    language: str | None = None
    detail: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.kind == "say":
            return f"  Say [{self.language} {self.voice}]: {self.text}"
        extra = " ".join(f"{k}={v}" for k, v in self.detail.items())
        return f"  {self.kind}: {self.text} {extra}".rstrip()


@dataclass
class Exchange:
    """One request the phone made (a TwiML fetch or a callback) and the answer it got."""

    purpose: str  # "twiml", "fallback", "status", "amd"
    method: str
    url: str
    params: dict[str, str]
    status: int
    body: str
    seconds: float  # how long the service took to answer


@dataclass
class Call:
    sid: str
    from_: str
    to: str
    direction: str
    events: list[Event] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    status: str = "in-progress"
    ended_by: str = ""  # service (Hangup, end of document), caller, reject, guard, time-limit, api, error
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    answered_by: str | None = None
    prompted_at: int = 0  # events before this one were heard before the last <Gather> took input

    @property
    def duration(self) -> int:
        return math.ceil(self.seconds)

    @property
    def heard(self) -> list[str]:
        """The text of every `<Say>` the caller heard, in order."""
        return [e.text for e in self.events if e.kind == "say"]

    @property
    def said_with(self) -> list[tuple[str, str | None, str | None]]:
        """(text, voice, language) of every `<Say>`."""
        return [(e.text, e.voice, e.language) for e in self.events if e.kind == "say"]

    @property
    def inputs(self) -> list[str]:
        """What the caller gave at each gather: keys, words, or "" for silence."""
        return [e.text for e in self.events if e.kind in ("press", "speak", "silence")]

    @property
    def requests(self) -> list[Exchange]:
        """The TwiML requests (webhook, gather actions, redirects, fallback), in order."""
        return [x for x in self.exchanges if x.purpose in ("twiml", "fallback")]

    @property
    def status_callbacks(self) -> list[Exchange]:
        return [x for x in self.exchanges if x.purpose == "status"]

    def transcript(self) -> str:
        lines = [f"call {self.sid} {self.direction} from {self.from_} to {self.to}"]
        exchanges = iter(self.requests)
        for event in self.events:
            if event.kind == "request":
                exchange = next(exchanges, None)
                if exchange is not None:
                    shown = {k: v for k, v in exchange.params.items() if k in ("Digits", "SpeechResult", "ErrorCode")}
                    lines.append(f"-> {exchange.method} {exchange.url} {shown or ''} => {exchange.status}".rstrip())
                continue
            lines.append(str(event))
        lines.append(f"ended: {self.status} by {self.ended_by} after {self.duration} s")
        lines.extend(f"error: {error}" for error in self.errors)
        return "\n".join(lines)


class CallError(AssertionError):
    def __init__(self, message: str, call: Call) -> None:
        super().__init__(f"{message}\n{call.transcript()}")
        self.call = call


# --- transports -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str


class Transport(Protocol):
    """Sends one of Twilio's requests to the service. `url` is the public URL Twilio calls."""

    def request(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> Answer: ...


class DjangoClientTransport:
    """In-process, through `django.test.Client`: only the path and query of the URL are used."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> Answer:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if method == "GET":
            response = self.client.get(target, headers=headers)
        else:
            response = self.client.post(
                target, urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers
            )
        return Answer(response.status_code, response.content.decode("utf-8", "replace"))


class HttpTransport:
    """Over real HTTP, to `base_url` (a live server), for URLs under `public_base_url`."""

    def __init__(self, base_url: str, *, public_base_url: str | None = None, timeout: float = TWILIO_TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.timeout = timeout

    def request(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> Answer:
        if self.public_base_url and url.startswith(self.public_base_url):
            url = self.base_url + url[len(self.public_base_url) :]
        data = urlencode(params).encode() if method == "POST" else None
        headers = {**headers, "User-Agent": "TwilioProxy/1.1"}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = UrlRequest(url, data=data, headers=headers, method=method)
        try:
            with urlopen(request, timeout=self.timeout) as response:  # http(s) only
                return Answer(response.status, response.read().decode("utf-8", "replace"))
        except HTTPError as exc:
            return Answer(exc.code, exc.read().decode("utf-8", "replace"))


# --- the phone --------------------------------------------------------------------------------


@dataclass
class _Next:
    url: str
    method: str
    params: dict[str, str]
    purpose: str = "twiml"


class _Ended(Exception):
    pass


class TwilioPhone:
    def __init__(
        self,
        transport: Transport,
        *,
        auth_token: str,
        account_sid: str,
        max_steps: int = 50,
        strict: bool = True,
    ) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.account_sid = account_sid
        self.max_steps = max_steps
        self.strict = strict

    @classmethod
    def for_django(cls, client: Any, **options: Any) -> TwilioPhone:
        """In-process through `django.test.Client`, with the token and account of the settings."""
        from django.conf import settings

        transport = DjangoClientTransport(client)
        return cls(transport, auth_token=settings.TWILIO_AUTH_TOKEN, account_sid=settings.TWILIO_ACCOUNT_SID, **options)

    @classmethod
    def for_server(cls, base_url: str, **options: Any) -> TwilioPhone:
        """Over HTTP to a running server (`live_server.url`); URLs stay under PUBLIC_BASE_URL."""
        from django.conf import settings

        transport = HttpTransport(base_url, public_base_url=settings.PUBLIC_BASE_URL)
        return cls(transport, auth_token=settings.TWILIO_AUTH_TOKEN, account_sid=settings.TWILIO_ACCOUNT_SID, **options)

    # --- inbound ----------------------------------------------------------------------------

    def call(
        self,
        *,
        from_: str,
        to: str,
        url: str,
        keys: Iterable[Input] | Callable[[Prompt], Input] = (),
        method: str = "POST",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        fallback_url: str | None = None,
        call_sid: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Call:
        """A call comes in from `from_` to our number `to`, whose voice URL is `url`."""
        call = Call(sid=call_sid or f"CA{uuid.uuid4().hex}", from_=from_, to=to, direction="inbound")
        base = self._base(call, extra or {})
        first = {**base, "CallStatus": "ringing"}
        self._play(call, _Next(url, method, first), base, _inputs(keys), fallback_url, time_limit=None)
        if status_callback:
            self._status(call, status_callback, status_callback_method, base, "completed", sequence=0)
        return self._finish(call)

    # --- outbound ---------------------------------------------------------------------------

    def answer(
        self,
        placed: PlacedCall,
        *,
        answered_by: str = "human",
        outcome: str = "answered",
        keys: Iterable[Input] | Callable[[Prompt], Input] = (),
        fake: FakeTwilio | None = None,
        machine_detection_ms: int = 4200,
    ) -> Call:
        """Play a call the service placed: `outcome` is answered, busy, no-answer or failed;
        `answered_by` what AMD reports (human, machine_start, machine_end_beep,
        machine_end_silence, machine_end_other, fax, unknown)."""
        assert outcome in ("answered", "busy", "no-answer", "failed"), outcome
        call = Call(sid=placed.sid, from_=placed.from_, to=placed.to, direction="outbound-api")
        base = self._base(call, {})
        callback = placed.get("StatusCallback")
        callback_method = placed.get("StatusCallbackMethod") or "POST"
        events = placed.events
        sequence = iter(range(10))

        def report(event: str, status: str) -> None:
            if fake is not None and status != "initiated":  # not a status the Call resource shows
                fake.set_call(placed.sid, status=status)
            if callback and event in events:
                self._status(call, callback, callback_method, base, status, sequence=next(sequence))

        if fake is not None and fake.call_status(placed.sid) in ENDED_BY_API:
            # Hung up through the REST API while still queued: Twilio never dials.
            call.status, call.ended_by = "canceled", "api"
            if callback and "completed" in events:
                self._status(call, callback, callback_method, base, "canceled", sequence=next(sequence))
            return self._finish(call)
        report("initiated", "initiated")
        if outcome != "failed":
            report("ringing", "ringing")
        if outcome != "answered":
            call.status, call.ended_by = outcome, outcome
            if fake is not None:
                fake.set_call(placed.sid, duration=0)
            report("completed", outcome)
            return self._finish(call)

        detection = placed.get("MachineDetection")
        asynchronous = placed.get("AsyncAmd") == "true"
        call.answered_by = answered_by if detection else None
        if detection and answered_by == "machine_end_beep" and detection == "Enable":
            answered_by = call.answered_by = "machine_start"  # Enable answers as soon as it knows
        if detection and not asynchronous:
            base = {**base, "AnsweredBy": answered_by, "MachineDetectionDuration": str(machine_detection_ms)}
            call.seconds += machine_detection_ms / 1000
        if fake is not None:
            fake.set_call(placed.sid, status="in-progress", answered_by=call.answered_by)
        if callback and "answered" in events:
            self._status(call, callback, callback_method, base, "in-progress", sequence=next(sequence))
        human = answered_by == "human" or not detection
        inputs = _inputs(keys) if human else iter(())
        time_limit = int(placed.get("TimeLimit") or 14400)
        start = self._start(placed, base)
        if detection and asynchronous and placed.get("AsyncAmdStatusCallback"):
            amd = {
                "AccountSid": self.account_sid,
                "CallSid": call.sid,
                "AnsweredBy": answered_by,
                "MachineDetectionDuration": str(machine_detection_ms),
            }
            amd_url = placed.get("AsyncAmdStatusCallback") or ""
            self._send(call, "amd", placed.get("AsyncAmdStatusCallbackMethod") or "POST", amd_url, amd)
        self._play(
            call, start, base, inputs, placed.get("FallbackUrl"), time_limit=time_limit, fake=fake, placed=placed
        )
        if fake is not None:
            fake.set_call(placed.sid, status=call.status, duration=call.duration)
        if callback and "completed" in events:
            self._status(call, callback, callback_method, base, call.status, sequence=next(sequence))
        return self._finish(call)

    def _start(self, placed: PlacedCall, base: dict[str, str]) -> _Next:
        twiml = placed.get("Twiml")
        if twiml:
            return _Next("", "INLINE", {"Twiml": twiml})
        return _Next(placed.get("Url") or "", placed.get("Method") or "POST", {**base, "CallStatus": "in-progress"})

    # --- walking TwiML ----------------------------------------------------------------------

    def _play(
        self,
        call: Call,
        start: _Next,
        base: dict[str, str],
        inputs: Iterator[Input] | Callable[[Prompt], Input],
        fallback_url: str | None,
        *,
        time_limit: int | None,
        fake: FakeTwilio | None = None,
        placed: PlacedCall | None = None,
    ) -> None:
        step: _Next | None = start
        steps = 0
        answered = False
        try:
            while step is not None:
                steps += 1
                if steps > self.max_steps:
                    call.errors.append(f"loop guard: more than {self.max_steps} TwiML requests in one call")
                    raise _Ended("guard")
                if fake is not None and placed is not None and fake.call_status(placed.sid) in ENDED_BY_API:
                    raise _Ended("api")  # hung up (or deleted) through the REST API meanwhile
                root = self._fetch(call, step, base, fallback_url)
                if root is None:
                    raise _Ended("error")
                current = step.url
                step = None
                for verb in root:
                    if time_limit is not None and call.seconds >= time_limit:
                        raise _Ended("time-limit")
                    if verb.tag == "Reject":
                        reason = verb.get("reason", "rejected")
                        call.events.append(Event("reject", reason))
                        if not answered and call.direction == "inbound":
                            call.status = "busy" if reason == "busy" else "no-answer"
                        raise _Ended("reject")
                    answered = True
                    step = self._verb(call, verb, current, base, inputs)
                    if step is not None:
                        break
                else:
                    call.events.append(Event("hangup", "end of document"))
                    raise _Ended("service")
        except _Ended as end:
            call.ended_by = str(end)
            if call.status == "in-progress":
                call.status = "completed"

    def _verb(
        self,
        call: Call,
        verb: ET.Element,
        current: str,
        base: dict[str, str],
        inputs: Iterator[Input] | Callable[[Prompt], Input],
    ) -> _Next | None:
        """Play one verb; the next request when the verb leaves this document, else None."""
        tag = verb.tag
        if tag in ("Say", "Play", "Pause"):
            self._hear(call, verb)
            return None
        if tag == "Gather":
            return self._gather(call, verb, current, base, inputs)
        if tag == "Redirect":
            url = urljoin(current, (verb.text or "").strip())
            call.events.append(Event("redirect", url))
            return _Next(url, verb.get("method", "POST"), {**base, "CallStatus": "in-progress"})
        if tag == "Hangup":
            call.events.append(Event("hangup", "<Hangup>"))
            raise _Ended("service")
        call.events.append(Event("unsupported", f"<{tag}>", detail=dict(verb.attrib)))
        return None

    def _hear(self, call: Call, verb: ET.Element) -> None:
        if verb.tag == "Say":
            text = say_text(verb)
            loops = int(verb.get("loop", "1") or 1) or 1
            call.events.append(Event("say", text, verb.get("voice"), verb.get("language"), _loop(verb)))
            call.seconds += loops * max(1.0, len(text.split()) / WORDS_PER_SECOND)
        elif verb.tag == "Play":
            call.events.append(Event("play", (verb.text or "").strip() or verb.get("digits", ""), detail=_loop(verb)))
            call.seconds += 3
        else:
            length = int(verb.get("length", "1"))
            call.events.append(Event("pause", f"{length} s"))
            call.seconds += length

    def _gather(
        self,
        call: Call,
        gather: ET.Element,
        current: str,
        base: dict[str, str],
        inputs: Iterator[Input] | Callable[[Prompt], Input],
    ) -> _Next | None:
        for nested in gather:
            self._hear(call, nested)
        accepts = gather.get("input", "dtmf").split()
        num_digits = int(gather.get("numDigits", "0")) or None
        timeout = int(gather.get("timeout", "5"))
        finish = gather.get("finishOnKey", "#")
        call.events.append(Event("gather", " ".join(accepts), detail=dict(gather.attrib)))
        heard = call.events[call.prompted_at :]
        call.prompted_at = len(call.events)
        prompt = Prompt(accepts, num_digits, timeout, gather.get("language"), finish, heard)
        given = inputs(prompt) if callable(inputs) else next(inputs, SILENCE)
        action = urljoin(current, gather.get("action") or current)
        method = gather.get("method", "POST")
        params = {**base, "CallStatus": "in-progress"}
        if given is HANG_UP:
            call.events.append(Event("hangup", "the caller hung up"))
            raise _Ended("caller")
        if isinstance(given, str) and given and "dtmf" in accepts:
            digits, finished_on = _digits(given, num_digits, finish)
            call.seconds += 1 + 0.3 * len(given)
            if digits:
                call.events.append(Event("press", digits))
                keys = {"Digits": digits, "FinishedOnKey": finished_on, "msg": "Gather End"}
                return _Next(action, method, {**params, **keys})
        elif isinstance(given, Speech) and "speech" in accepts and given.text:
            call.seconds += 1 + len(given.text.split()) / WORDS_PER_SECOND
            call.events.append(Event("speak", given.text, detail={"confidence": f"{given.confidence:.2f}"}))
            speech = {"SpeechResult": given.text, "Confidence": f"{given.confidence:.8f}"}
            return _Next(action, method, {**params, **speech, "msg": "Gather End"})
        call.seconds += timeout
        call.events.append(Event("silence", "", detail={"given": repr(given)} if given not in (None, SILENCE) else {}))
        if gather.get("actionOnEmptyResult") == "true":
            return _Next(action, method, params)
        return None

    # --- HTTP ---------------------------------------------------------------------------------

    def _fetch(self, call: Call, step: _Next, base: dict[str, str], fallback_url: str | None) -> ET.Element | None:
        call.events.append(Event("request", step.url))
        if step.method == "INLINE":
            body, problem = step.params["Twiml"], None
            call.exchanges.append(Exchange("twiml", "INLINE", "", {}, 200, body, 0.0))
        else:
            answer = self._send(call, step.purpose, step.method, step.url, step.params)
            body = answer.body
            problem = None if 200 <= answer.status < 300 else f"HTTP {answer.status} from {step.url}"
            code = "11200" if answer.status else "11205"
        if problem is None:
            problems = twiml_problems(body)
            if not problems:
                return parse_twiml(body)
            problem, code = f"invalid TwiML from {step.url or 'Twiml'}: " + "; ".join(problems), "12100"
        call.errors.append(problem)
        if fallback_url and step.purpose != "fallback":
            extra = {"ErrorCode": code, "ErrorUrl": step.url}
            fallback = _Next(fallback_url, "POST", {**base, "CallStatus": "in-progress", **extra}, "fallback")
            return self._fetch(call, fallback, base, None)
        call.events.append(Event("error", "An application error has occurred. Goodbye."))
        return None

    def _send(self, call: Call, purpose: str, method: str, url: str, params: dict[str, str]) -> Answer:
        if method == "GET":
            url = url + ("&" if "?" in url else "?") + urlencode(params)
            signature, body = self.validator.compute_signature(url, {}), {}
        else:
            signature, body = self.validator.compute_signature(url, params), params
        started = time.monotonic()
        try:
            answer = self.transport.request(method, url, body, {"X-Twilio-Signature": str(signature)})
        except (URLError, TimeoutError, OSError) as exc:
            answer = Answer(0, f"no answer: {exc}")  # Twilio: 11205, HTTP connection failure
        seconds = time.monotonic() - started
        if seconds > TWILIO_TIMEOUT_SECONDS:
            answer = Answer(0, f"answered after {seconds:.1f} s: Twilio had given up at 15 s (11205)")
        call.exchanges.append(Exchange(purpose, method, url, params, answer.status, answer.body, seconds))
        return answer

    def _status(self, call: Call, url: str, method: str, base: dict[str, str], status: str, *, sequence: int) -> None:
        params = {
            **base,
            "CallStatus": status,
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(sequence),
            "Timestamp": format_datetime(datetime.now(UTC)),
        }
        if status in ("completed", "busy", "no-answer", "failed", "canceled"):
            params["CallDuration"] = str(call.duration if status == "completed" else 0)  # ringing is not billed
        if call.answered_by and status in ("in-progress", "completed"):
            params["AnsweredBy"] = call.answered_by
        answer = self._send(call, "status", method, url, params)
        if not 200 <= answer.status < 300:
            call.errors.append(f"status callback {status}: HTTP {answer.status} from {url}")

    def _base(self, call: Call, extra: dict[str, str]) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
            "Caller": call.from_,
            "Called": call.to,
        }
        for prefix, number in (("From", call.from_), ("To", call.to), ("Caller", call.from_), ("Called", call.to)):
            params[f"{prefix}Country"] = _country(number)
            params[f"{prefix}City"] = params[f"{prefix}State"] = params[f"{prefix}Zip"] = ""
        params.update(extra)
        return params

    def _finish(self, call: Call) -> Call:
        if self.strict and call.errors:
            raise CallError("the call did not go as Twilio would play it: " + "; ".join(call.errors), call)
        return call


def keyboard(prompt: Prompt, *, read: Callable[[str], str] = input, write: Callable[[str], Any] = print) -> Input:
    """A caller at a terminal (for `./run call`): prints what was heard, reads what to press.

    Keys as typed (`1`, `0930`); `say <words>` speaks; an empty line is silence; `q` hangs up.
    """
    for event in prompt.heard:
        if event.kind in ("say", "play", "pause"):
            write(str(event).strip())
    accepts = " or ".join(prompt.input)
    line = read(f"[{accepts}, {prompt.timeout} s; empty: silence, q: hang up] > ").strip()
    if line.lower() == "q":
        return HANG_UP
    if line.lower().startswith("say "):
        return Speech(line[4:].strip(), confidence=0.9)
    return line or SILENCE


def _inputs(keys: Iterable[Input] | Callable[[Prompt], Input]) -> Iterator[Input] | Callable[[Prompt], Input]:
    return keys if callable(keys) else iter(list(keys))


def _digits(pressed: str, num_digits: int | None, finish: str) -> tuple[str, str]:
    """The Digits Twilio sends for these key presses, and the finish key that ended them."""
    digits = ""
    for key in pressed:
        if finish and key in finish:
            return digits, key
        digits += key
        if num_digits is not None and len(digits) >= num_digits:
            break
    return digits, ""


def _loop(verb: ET.Element) -> dict[str, str]:
    return {"loop": verb.get("loop", "")} if verb.get("loop") not in (None, "1") else {}


def _country(number: str) -> str:
    if number in WITHHELD or not number.startswith("+"):
        return ""
    for prefix in sorted(COUNTRIES, key=len, reverse=True):
        if number.startswith(prefix):
            return COUNTRIES[prefix]
    return ""
