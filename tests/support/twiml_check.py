"""Is this TwiML something Twilio would play? A checker for every voice answer the service gives.

    from tests.support.twiml_check import assert_valid_twiml, twiml_problems

    root = assert_valid_twiml(response.content)   # raises AssertionError listing every problem
    assert twiml_problems("<Response><Sya/></Response>") == ["<Sya>: not a TwiML voice verb ..."]

`tests/support/twilio_phone.py` runs it on every answer it receives, so a test that plays a
call through the service checks each step's TwiML without asking.

What it checks, from Twilio's TwiML voice reference (twilio.com/docs/voice/twiml/<verb>, read
for Say, Play, Pause, Gather, Redirect, Hangup, Reject, Dial and its nouns, Record; the
attribute names of the rarer verbs come from the `twilio` package's `VoiceResponse`
builders, which are generated from the same definitions):
- well-formed XML (control characters such as `\\x0b` make it invalid: Twilio error 12100),
  root `<Response>`, only documented verbs, each where Twilio allows it (`<Gather>` nests only
  `<Say>`, `<Play>`, `<Pause>`; `<Dial>` only its nouns);
- only each verb's documented attributes, with values of the documented kind: integers where
  integers are expected (Gather `numDigits`, `timeout` positive), `true`/`false`, the listed
  enumerations (`input` is `dtmf`, `speech` or `dtmf speech`: the library writes a Python list
  as `['dtmf', 'speech']`, which Twilio refuses), URLs well formed (absolute http(s) or relative);
- this project's rules on top: every `<Say>` has `voice` and `language`, says something, at
  most 3,000 characters (Polly's limit, the strictest of Twilio's voices), and a voice that
  names its language (`Google.nl-BE-Wavenet-A`, or a Polly voice we know) matches `language`.

Not checked: SSML attribute values, the nouns inside `<Connect>`/`<Start>`/`<Stop>`/`<Enqueue>`,
and Amazon's prefixed SSML tags (`<amazon:effect>` is refused as XML with an unbound prefix,
though Twilio takes it; this project uses none).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # our own service's answers, in tests
from urllib.parse import urlsplit

SAY_MAX_CHARACTERS = 3000

_INT = "int>=0"
_POSITIVE = "int>0"
_BOOL = "bool"
_URL = "url"
_METHOD = "method"
_TEXT = "text"
_LANGUAGE = "language"

# Polly voices whose language is known to us (Twilio's TTS page); another Polly voice is allowed
# without a language check.
POLLY_LANGUAGES = {
    "Lisa": "nl-BE",
    "Laura": "nl-NL",
    "Ruben": "nl-NL",
    "Isabelle": "fr-BE",
    "Lea": "fr-FR",
    "Celine": "fr-FR",
    "Mathieu": "fr-FR",
    "Remi": "fr-FR",
    "Chantal": "fr-CA",
    "Gabrielle": "fr-CA",
    "Vicki": "de-DE",
    "Daniel": "de-DE",
    "Marlene": "de-DE",
    "Hans": "de-DE",
    "Hannah": "de-AT",
    "Amy": "en-GB",
    "Brian": "en-GB",
    "Emma": "en-GB",
    "Arthur": "en-GB",
    "Joanna": "en-US",
    "Matthew": "en-US",
}

_STATUS_EVENTS = {"initiated", "ringing", "answered", "completed"}
_RECORDING_EVENTS = {"in-progress", "completed", "absent"}

# verb -> attribute -> kind (a kind name above, or a set of allowed values, or a regex)
ATTRIBUTES: dict[str, dict[str, object]] = {
    "Response": {},
    "Say": {"voice": "voice", "language": _LANGUAGE, "loop": _INT},
    "Play": {"loop": _INT, "digits": re.compile(r"[0-9*#wW]+")},
    "Pause": {"length": _POSITIVE},
    "Gather": {
        "action": _URL,
        "method": _METHOD,
        "timeout": _POSITIVE,
        "speechTimeout": re.compile(r"auto|[1-9]\d*"),
        "maxSpeechTime": _POSITIVE,
        "profanityFilter": _BOOL,
        "finishOnKey": re.compile(r"[0-9#*]?"),
        "numDigits": _POSITIVE,
        "partialResultCallback": _URL,
        "partialResultCallbackMethod": _METHOD,
        "language": _LANGUAGE,
        "hints": _TEXT,
        "bargeIn": _BOOL,
        "debug": _BOOL,
        "actionOnEmptyResult": _BOOL,
        "speechModel": _TEXT,
        "enhanced": _BOOL,
        "input": "input",
    },
    "Redirect": {"method": _METHOD},
    "Hangup": {},
    "Reject": {"reason": {"rejected", "busy"}},
    "Dial": {
        "action": _URL,
        "method": _METHOD,
        "timeout": _POSITIVE,
        "hangupOnStar": _BOOL,
        "timeLimit": _POSITIVE,
        "callerId": _TEXT,
        "record": {
            "true",
            "false",
            "do-not-record",
            "record-from-answer",
            "record-from-ringing",
            "record-from-answer-dual",
            "record-from-ringing-dual",
        },
        "trim": {"trim-silence", "do-not-trim"},
        "recordingStatusCallback": _URL,
        "recordingStatusCallbackMethod": _METHOD,
        "recordingStatusCallbackEvent": ("events", _RECORDING_EVENTS),
        "answerOnBridge": _BOOL,
        "ringTone": re.compile(r"[a-z]{2}"),
        "recordingTrack": {"both", "inbound", "outbound"},
        "sequential": _BOOL,
        "referUrl": _URL,
        "referMethod": _METHOD,
        "events": _TEXT,
        "recordingConfigurationId": _TEXT,
    },
    "Number": {
        "sendDigits": re.compile(r"[0-9*#wW]+"),
        "url": _URL,
        "method": _METHOD,
        "statusCallbackEvent": ("events", _STATUS_EVENTS),
        "statusCallback": _URL,
        "statusCallbackMethod": _METHOD,
        "byoc": re.compile(r"BY[0-9a-fA-F]{32}"),
        "machineDetection": {"Enable", "DetectMessageEnd"},
        "amdStatusCallback": _URL,
        "amdStatusCallbackMethod": _METHOD,
        "machineDetectionTimeout": _POSITIVE,
        "machineDetectionSpeechThreshold": _POSITIVE,
        "machineDetectionSpeechEndThreshold": _POSITIVE,
        "machineDetectionSilenceTimeout": _POSITIVE,
    },
    "Client": {
        "url": _URL,
        "method": _METHOD,
        "statusCallbackEvent": ("events", _STATUS_EVENTS),
        "statusCallback": _URL,
        "statusCallbackMethod": _METHOD,
    },
    "Sip": {
        "username": _TEXT,
        "password": _TEXT,
        "url": _URL,
        "method": _METHOD,
        "statusCallbackEvent": ("events", _STATUS_EVENTS),
        "statusCallback": _URL,
        "statusCallbackMethod": _METHOD,
    },
    "Sim": {},
    "Application": {
        "url": _URL,
        "method": _METHOD,
        "statusCallbackEvent": ("events", _STATUS_EVENTS),
        "statusCallback": _URL,
        "statusCallbackMethod": _METHOD,
        "customerId": _TEXT,
        "copyParentTo": _BOOL,
    },
    "Conference": {
        name: _TEXT
        for name in [
            "muted",
            "beep",
            "startConferenceOnEnter",
            "endConferenceOnExit",
            "waitUrl",
            "waitMethod",
            "maxParticipants",
            "record",
            "region",
            "coach",
            "trim",
            "statusCallbackEvent",
            "statusCallback",
            "statusCallbackMethod",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "eventCallbackUrl",
            "jitterBufferSize",
            "participantLabel",
            "recordingConfigurationId",
        ]
    },
    "Queue": {"url": _URL, "method": _METHOD, "reservationSid": _TEXT, "postWorkActivitySid": _TEXT},
    "Record": {
        "action": _URL,
        "method": _METHOD,
        "timeout": _INT,
        "finishOnKey": re.compile(r"[0-9#*]*"),
        "maxLength": _POSITIVE,
        "playBeep": _BOOL,
        "trim": {"trim-silence", "do-not-trim"},
        "recordingStatusCallback": _URL,
        "recordingStatusCallbackMethod": _METHOD,
        "recordingStatusCallbackEvent": ("events", _RECORDING_EVENTS),
        "transcribe": _BOOL,
        "transcribeCallback": _URL,
        "recordingConfigurationId": _TEXT,
    },
    "Enqueue": {
        "action": _URL,
        "maxQueueSize": _POSITIVE,
        "method": _METHOD,
        "waitUrl": _URL,
        "waitUrlMethod": _METHOD,
        "workflowSid": _TEXT,
    },
    "Leave": {},
    "Connect": {"action": _URL, "method": _METHOD},
    "Start": {"action": _URL, "method": _METHOD},
    "Stop": {},
    "Refer": {"action": _URL, "method": _METHOD},
    "Echo": {},
}

VERBS = {
    "Say",
    "Play",
    "Pause",
    "Gather",
    "Redirect",
    "Hangup",
    "Reject",
    "Dial",
    "Record",
    "Enqueue",
    "Leave",
    "Connect",
    "Start",
    "Stop",
    "Refer",
    "Echo",
}
CHILDREN: dict[str, set[str]] = {
    "Gather": {"Say", "Play", "Pause"},
    "Dial": {"Number", "Client", "Conference", "Queue", "Sip", "Sim", "Application"},
    "Enqueue": {"Task"},
    "Refer": {"Sip"},
    "Say": {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"},
}
# Verbs whose nouns are media streams, recordings, AI sessions...: accepted, not checked deeper.
OPAQUE = {"Connect", "Start", "Stop", "Enqueue"}
NO_TEXT = {"Pause", "Gather", "Hangup", "Reject", "Leave", "Record", "Echo", "Connect", "Start", "Stop", "Refer"}
TEXT_REQUIRED = {"Redirect": "a URL", "Number": "a phone number", "Sim": "a SIM SID", "Queue": "a queue name"}

_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_VOICE = re.compile(r"man|woman|alice|(Polly|Google|ElevenLabs|Azure|Amazon)\.[A-Za-z0-9._-]+")


def twiml_problems(twiml: str | bytes) -> list[str]:
    """Everything in this TwiML document that Twilio (or this project) would refuse."""
    try:
        root = ET.fromstring(twiml)  # noqa: S314  # our own service's answer
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != "Response":
        return [f"the root element is <{root.tag}>, not <Response>"]
    problems: list[str] = []
    problems += _attributes(root)
    if (root.text or "").strip():
        problems.append(f"<Response> has text outside any verb: {root.text.strip()[:40]!r}")  # type: ignore[union-attr]
    for verb in root:
        if (verb.tail or "").strip():
            problems.append(f"<Response> has text outside any verb: {verb.tail.strip()[:40]!r}")  # type: ignore[union-attr]
        if verb.tag not in VERBS:
            problems.append(f"<{verb.tag}>: not a TwiML voice verb (allowed: {', '.join(sorted(VERBS))})")
            continue
        problems += _element(verb)
    return problems


def assert_valid_twiml(twiml: str | bytes) -> ET.Element:
    """The parsed <Response>, or an AssertionError listing every problem with the document."""
    problems = twiml_problems(twiml)
    if problems:
        text = twiml.decode("utf-8", "replace") if isinstance(twiml, bytes) else twiml
        raise AssertionError("invalid TwiML:\n- " + "\n- ".join(problems) + f"\n--- the document:\n{text[:2000]}")
    return parse_twiml(twiml)


def parse_twiml(twiml: str | bytes) -> ET.Element:
    """The document's root element (for a document `twiml_problems` found nothing wrong with)."""
    return ET.fromstring(twiml)  # noqa: S314  # our own service's answer


def say_text(element: ET.Element) -> str:
    """What a <Say> reads aloud: its text and its SSML children's, whitespace as Twilio reads it."""
    return " ".join("".join(element.itertext()).split())


def _element(element: ET.Element) -> list[str]:
    tag = element.tag
    problems = _attributes(element)
    text = (element.text or "").strip()
    if tag in NO_TEXT and text:
        problems.append(f"<{tag}> takes no text (got {text[:40]!r})")
    if tag in TEXT_REQUIRED and not text:
        problems.append(f"<{tag}> needs {TEXT_REQUIRED[tag]} as its text")
    if tag in ("Redirect", "Play") and text and not _url_ok(text):
        problems.append(f"<{tag}> {text!r} is not a well-formed URL")
    if tag == "Play" and not text and "digits" not in element.attrib:
        problems.append("<Play> needs a URL or digits")
    if tag == "Say":
        problems += _say(element)
        return problems  # its children are SSML, checked by name only in _say
    allowed = CHILDREN.get(tag, set())
    for child in element:
        if tag in OPAQUE:
            continue
        if child.tag not in allowed:
            where = f"inside <{tag}>" if allowed else f"<{tag}> takes no nested elements"
            problems.append(f"<{child.tag}> is not allowed {where}" if allowed else f"{where} (got <{child.tag}>)")
            continue
        problems += _element(child)
    return problems


def _say(element: ET.Element) -> list[str]:
    problems = []
    for child in element.iter():
        if child is not element and child.tag not in CHILDREN["Say"]:
            problems.append(f"<Say> contains <{child.tag}>, which is not SSML Twilio reads")
    voice, language = element.get("voice"), element.get("language")
    if not voice:
        problems.append("<Say> without voice (this project sets the voice of every <Say>)")
    if not language:
        problems.append("<Say> without language (this project sets the language of every <Say>)")
    if voice and language and _voice_language(voice) not in (None, language):
        problems.append(f"<Say> voice {voice!r} speaks {_voice_language(voice)}, not language={language!r}")
    spoken = say_text(element)
    if not spoken:
        problems.append("<Say> says nothing")
    if len(spoken) > SAY_MAX_CHARACTERS:
        problems.append(f"<Say> text is {len(spoken)} characters, more than {SAY_MAX_CHARACTERS:,}")
    return problems


def _voice_language(voice: str) -> str | None:
    if voice.startswith("Google."):
        match = re.match(r"Google\.([a-z]{2,3}-[A-Z]{2})-", voice)
        return match[1] if match else None
    if voice.startswith("Polly."):
        name = voice.removeprefix("Polly.").split("-")[0]
        return POLLY_LANGUAGES.get(name)
    return None


def _attributes(element: ET.Element) -> list[str]:
    allowed = ATTRIBUTES.get(element.tag)
    if allowed is None:
        return []
    problems = []
    for name, value in element.attrib.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            problems.append(f"<{element.tag}> has no attribute {name!r} (documented: {known})")
            continue
        problem = _value_problem(allowed[name], value)
        if problem:
            problems.append(f"<{element.tag} {name}={value!r}>: {problem}")
    return problems


def _value_problem(kind: object, value: str) -> str | None:  # one branch per kind
    if isinstance(kind, re.Pattern):
        return None if kind.fullmatch(value) else f"does not match {kind.pattern}"
    if isinstance(kind, set):
        return None if value in kind else f"is not one of {sorted(kind)}"
    if isinstance(kind, tuple):
        words = value.replace(",", " ").split()
        unknown = [word for word in words if word not in kind[1]]
        return f"unknown event(s) {unknown}" if unknown or not words else None
    if kind == _INT:
        return None if re.fullmatch(r"\d+", value) else "is not a non-negative integer"
    if kind == _POSITIVE:
        return None if re.fullmatch(r"[1-9]\d*", value) else "is not a positive integer"
    if kind == _BOOL:
        return None if value in ("true", "false") else "is not true or false"
    if kind == _METHOD:
        return None if value in ("GET", "POST") else "is not GET or POST"
    if kind == _URL:
        return None if _url_ok(value) else "is not a well-formed URL"
    if kind == _LANGUAGE:
        return None if _LANGUAGE_TAG.fullmatch(value) else "is not a BCP-47 language tag (e.g. nl-BE)"
    if kind == "voice":
        return None if _VOICE.fullmatch(value) else "is not a Twilio voice (man, woman, Polly.*, Google.*...)"
    if kind == "input":
        words = value.split(" ")
        if not words or any(w not in ("dtmf", "speech") for w in words) or len(set(words)) != len(words):
            return "is not dtmf, speech or 'dtmf speech'"
        return None
    return None if value.strip() else "is empty"


def _url_ok(url: str) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    return True
