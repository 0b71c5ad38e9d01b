"""A local stand-in for Twilio's REST API, for the real `twilio` client to talk to over HTTP.

It serves Messages create, list and delete, and Calls create, list, fetch, update (hang up)
and delete; it checks every request against Twilio's own OpenAPI description
(../shared/twilio/twilio_api_v2010.json: parameter names, required ones, types, formats, SID
patterns, Basic auth; inline `Twiml` through tests/support/twiml_check.py) and records what
it received. A test scripts its answers: Twilio errors (21610, 21211, 429, 500...), a slow
answer (to trigger the client's timeout), an answer after the message or call was accepted,
or an outage (every request answered 500).

Calls, in a test (the real `twilio` client, pointed here as for Messages):

    fake.then_calls(Scripted(status=400, code=21215))       # the next Calls create fails so
    client.calls.create(to=..., from_=..., url=..., machine_detection="DetectMessageEnd")
    placed = fake.wait_for_calls(1)[0]                       # PlacedCall: sid, params, resource
    phone.answer(placed, answered_by="machine_end_beep")     # tests/support/twilio_phone.py
    fake.call_resource(placed.sid)["status"]                 # "completed", as Twilio would list it

or, with the service running as a real server, `fake.on_call = lambda placed: phone.answer(placed)`
plays every accepted call in a thread of its own, as Twilio would (see `wait_for_played`).

Run alone (for the benchmark or by hand): python -m tests.support.fake_twilio --port 4010
`GET /_fake/requests` returns what it received, with arrival times.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_api_v2010.json"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
MESSAGES_TEMPLATE = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>(SM|MM)[0-9a-f]{32})\.json$")
CALLS_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
CALLS_TEMPLATE = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>CA[0-9a-fA-F]{32})\.json$")
CALL_TEMPLATE = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"
# Statuses after which a call is over (Twilio's call_enum_status).
CALL_ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}
E164 = re.compile(r"^\+[1-9]\d{1,14}$")


@dataclass
class Scripted:
    """One scripted answer: an HTTP status with a Twilio error, and/or a delay."""

    status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0
    accept: bool | None = None  # record the message as accepted (default: status == 201)
    body: str | None = None  # answer with this body as it is (a proxy's error page, another error format)


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float  # time.time() on arrival
    violations: list[str] = field(default_factory=list)


def load_message_schema(spec_path: Path = SPEC_PATH) -> dict[str, Any] | None:
    if not spec_path.exists():
        return None
    spec = json.loads(spec_path.read_text())
    operation = spec["paths"][MESSAGES_TEMPLATE]["post"]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    components = spec["components"]["schemas"]
    properties = {}
    for name, prop in schema["properties"].items():
        if "$ref" in prop:
            prop = components[prop["$ref"].rsplit("/", 1)[1]]
        properties[name] = prop
    account = operation["parameters"][0]["schema"]
    return {"properties": properties, "required": schema.get("required", []), "account": account}


def check_against_spec(schema: dict[str, Any], account: str, params: dict[str, list[str]]) -> list[str]:
    """What in a Messages create request Twilio's spec does not allow."""
    problems = []
    if not re.fullmatch(schema["account"]["pattern"].strip("^$"), account):
        problems.append(f"AccountSid {account!r} does not match {schema['account']['pattern']}")
    for name in schema["required"]:
        if name not in params:
            problems.append(f"missing required parameter {name}")
    for name, values in params.items():
        prop = schema["properties"].get(name)
        if prop is None:
            problems.append(f"unknown parameter {name}")
            continue
        if prop.get("type") != "array" and len(values) > 1:
            problems.append(f"{name} given {len(values)} times")
        for value in values:
            problems.extend(_check_value(name, prop, value))
    if "From" not in params and "MessagingServiceSid" not in params:
        problems.append("From or MessagingServiceSid is required")
    if not any(name in params for name in ("Body", "MediaUrl", "ContentSid")):
        problems.append("Body, MediaUrl or ContentSid is required")
    if len(params.get("Body", [""])[0]) > 1600:
        problems.append("Body is longer than 1,600 characters")
    return problems


def _check_value(name: str, prop: dict[str, Any], value: str) -> list[str]:
    kind, fmt = prop.get("type"), prop.get("format")
    if prop.get("type") == "array":
        prop = prop["items"]
        kind, fmt = prop.get("type"), prop.get("format")
    if "enum" in prop and value not in prop["enum"]:
        return [f"{name}={value!r} is not one of {prop['enum']}"]
    if kind == "boolean" and value not in ("true", "false"):
        return [f"{name}={value!r} is not a boolean"]
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{name}={value!r} is not an integer"]
    if "pattern" in prop and not re.fullmatch(prop["pattern"].strip("^$"), value):
        return [f"{name}={value!r} does not match {prop['pattern']}"]
    if fmt == "phone-number" and not E164.match(value):
        return [f"{name}={value!r} is not an E.164 phone number"]
    if fmt == "uri" and not prop.get("x-twilio", {}).get("ignoreFormat"):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or "_" in parts.hostname:
            return [f"{name}={value!r} is not a URL Twilio accepts"]
    return []


# --- Calls ----------------------------------------------------------------------------------


def _form_schema(spec: dict[str, Any], template: str, method: str) -> dict[str, Any]:
    operation = spec["paths"][template][method]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    components = spec["components"]["schemas"]
    properties = {}
    for name, prop in schema["properties"].items():
        if "$ref" in prop:
            prop = components[prop["$ref"].rsplit("/", 1)[1]]
        properties[name] = prop
    account = operation["parameters"][0]["schema"]
    return {"properties": properties, "required": schema.get("required", []), "account": account}


def load_call_schemas(spec_path: Path = SPEC_PATH) -> dict[str, dict[str, Any]] | None:
    """Twilio's spec for Calls create ("create"), update ("update") and list's query ("list")."""
    if not spec_path.exists():
        return None
    spec = json.loads(spec_path.read_text())
    components = spec["components"]["schemas"]
    listing = {}
    for parameter in spec["paths"][CALLS_TEMPLATE]["get"]["parameters"]:
        if parameter["in"] == "query":
            prop = parameter["schema"]
            if "$ref" in prop:
                prop = components[prop["$ref"].rsplit("/", 1)[1]]
            listing[parameter["name"]] = prop
    create = _form_schema(spec, CALLS_TEMPLATE, "post")
    return {
        "create": create,
        "update": _form_schema(spec, CALL_TEMPLATE, "post"),
        "list": {"properties": listing, "required": [], "account": create["account"]},
    }


def check_form(schema: dict[str, Any], account: str, params: dict[str, list[str]]) -> list[str]:
    """What in a request's parameters the spec of its operation does not allow (any operation)."""
    problems = []
    if not re.fullmatch(schema["account"]["pattern"].strip("^$"), account):
        problems.append(f"AccountSid {account!r} does not match {schema['account']['pattern']}")
    for name in schema["required"]:
        if name not in params:
            problems.append(f"missing required parameter {name}")
    for name, values in params.items():
        prop = schema["properties"].get(name)
        if prop is None:
            problems.append(f"unknown parameter {name}")
            continue
        if prop.get("type") != "array" and len(values) > 1:
            problems.append(f"{name} given {len(values)} times")
        for value in values:
            problems.extend(_check_value(name, prop, value))
    return problems


def check_call_create(schema: dict[str, Any], account: str, params: dict[str, list[str]]) -> list[str]:
    """What in a Calls create request Twilio (its spec and its Call resource docs) would refuse."""
    from tests.support.twiml_check import twiml_problems

    problems = check_form(schema, account, params)
    for name in ("To", "From"):
        # The spec's format is "endpoint" (numbers, SIP, clients): this service only calls numbers.
        for value in params.get(name, []):
            if not E164.match(value):
                problems.append(f"{name}={value!r} is not an E.164 phone number")
    given = [name for name in ("Url", "Twiml", "ApplicationSid") if name in params]
    if len(given) != 1:
        problems.append(f"exactly one of Url, Twiml, ApplicationSid is required (got {given or 'none'})")
    twiml = params.get("Twiml", [""])[0]
    if len(twiml) > 4000:
        problems.append("Twiml is longer than 4,000 characters")
    if twiml:
        problems.extend(f"Twiml: {problem}" for problem in twiml_problems(twiml))
    for event in params.get("StatusCallbackEvent", []):
        if event not in ("initiated", "ringing", "answered", "completed"):
            problems.append(f"StatusCallbackEvent={event!r} is not initiated, ringing, answered or completed")
    for value in params.get("Timeout", []):
        if value.isdigit() and not 1 <= int(value) <= 600:
            problems.append(f"Timeout={value} is not between 1 and 600 seconds")
    for value in params.get("MachineDetection", []):
        if value not in ("Enable", "DetectMessageEnd"):
            problems.append(f"MachineDetection={value!r} is not Enable or DetectMessageEnd")
    for value in params.get("AsyncAmd", []):
        if value not in ("true", "false"):
            # The library sends Python's True as "True": Twilio wants the string "true".
            problems.append(f"AsyncAmd={value!r} is not 'true' or 'false'")
    return problems


def check_call_list(schema: dict[str, Any], account: str, query: dict[str, list[str]]) -> list[str]:
    problems = check_form(schema, account, {k: v for k, v in query.items() if k not in ("Page", "PageToken")})
    for name in ("StartTime", "StartTime<", "StartTime>", "EndTime", "EndTime<", "EndTime>"):
        for value in query.get(name, []):
            if _parse_time(value) is None:
                problems.append(f"{name}={value!r} is neither YYYY-MM-DD nor YYYY-MM-DDTHH:MM:SSZ")
    return problems


def _parse_time(value: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@dataclass
class PlacedCall:
    """A call the stand-in accepted: what was asked (every value of each parameter) and its SID."""

    sid: str
    params: dict[str, list[str]]
    at: float

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[0] if values else default

    @property
    def to(self) -> str:
        return self.get("To") or ""

    @property
    def from_(self) -> str:
        return self.get("From") or ""

    @property
    def events(self) -> list[str]:
        """StatusCallbackEvent as asked; Twilio sends only `completed` when none is given."""
        return self.params.get("StatusCallbackEvent") or ["completed"]


class FakeTwilio:
    def __init__(
        self, *, account_sid: str, auth_token: str, host: str = "127.0.0.1", port: int = 0, spec_path: Path = SPEC_PATH
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.schema = load_message_schema(spec_path)
        self.received: list[Received] = []
        self.accepted: list[dict[str, Any]] = []
        self.script: list[Scripted] = []
        self.failing_lists = 0  # answer this many list requests with a 500
        self.outage = False  # while True, answer every Messages request (create and list) with a 500
        self.failing_deletes = 0  # answer this many delete requests with a 500
        self.deleted: list[str] = []  # SIDs deleted (204), in order
        # Calls: their own script, so a test of calls does not eat the answers meant for messages.
        self.call_schemas = load_call_schemas(spec_path)
        self.call_script: list[Scripted] = []
        self.calls: dict[str, dict[str, Any]] = {}  # SID -> the Call resource as Twilio answers it
        self.placed: list[PlacedCall] = []  # accepted creates, in order
        self.failing_call_lists = 0
        self.deleted_calls: list[str] = []
        # Called in a thread of its own with each accepted call, once its create is answered:
        # plays Twilio's side of the call (see tests/support/twilio_phone.py). Its result, or
        # the exception it raised, lands in `played` / `play_errors`.
        self.on_call: Callable[[PlacedCall], Any] | None = None
        # Play the whole call before answering its create (in the server's thread): every status
        # callback then reaches the service before the create's answer does, as can happen.
        self.play_before_answering = False
        self.played: list[Any] = []
        self.play_errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def then(self, *answers: Scripted) -> None:
        with self.lock:
            self.script.extend(answers)

    def deletes(self) -> list[Received]:
        return [r for r in self.received if r.method == "DELETE"]

    def creates(self) -> list[Received]:
        """Messages create requests (Calls have `call_creates`)."""
        return [r for r in self.received if r.method == "POST" and MESSAGES_PATH.match(r.path)]

    def call_creates(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and CALLS_PATH.match(r.path)]

    def call_requests(self) -> list[Received]:
        """Every request about calls (create, list, fetch, update, delete), in order."""
        return [r for r in self.received if CALLS_PATH.match(r.path) or CALL_PATH.match(r.path)]

    def then_calls(self, *answers: Scripted) -> None:
        """Answers for the next Calls create requests, in order (then 201 again)."""
        with self.lock:
            self.call_script.extend(answers)

    def call_resource(self, sid: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.calls[sid])

    def call_status(self, sid: str) -> str | None:
        """The call's status, None once deleted."""
        with self.lock:
            call = self.calls.get(sid)
            return None if call is None else str(call["status"])

    def violations(self) -> list[str]:
        """Everything Twilio's spec refused, in every request received (messages and calls)."""
        with self.lock:
            return [f"{r.method} {r.path}: {v}" for r in self.received for v in r.violations]

    def set_call(self, sid: str, **fields: Any) -> None:
        """Move a call on as Twilio would (status, duration, answered_by, start_time, end_time)."""
        now = format_datetime(datetime.now(UTC))
        with self.lock:
            call = self.calls.get(sid)
            if call is None:
                return  # deleted meanwhile
            if call["status"] in CALL_ENDED:
                fields.pop("status", None)  # status only moves forward (a REST hang-up came first)
            if fields.get("status") == "in-progress" and not call["start_time"]:
                fields.setdefault("start_time", now)
            if fields.get("status") in CALL_ENDED and not call["end_time"]:
                fields.setdefault("end_time", now)
            call.update({k: (str(v) if k == "duration" and v is not None else v) for k, v in fields.items()})
            call["date_updated"] = now

    def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[PlacedCall]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.placed) >= count:
                    return list(self.placed)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) at the fake Twilio, got {len(self.placed)}")

    def wait_for_played(self, count: int, timeout: float = 20.0) -> list[Any]:
        """What `on_call` returned for the first `count` calls; re-raises the first error it hit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.play_errors:
                    raise self.play_errors[0]
                if len(self.played) >= count:
                    return list(self.played)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} played call(s), got {len(self.played)}")

    def _play(self, placed: PlacedCall) -> None:
        assert self.on_call is not None
        try:
            result = self.on_call(placed)
        except BaseException as exc:  # reported to the test by wait_for_played
            with self.lock:
                self.play_errors.append(exc)
            return
        with self.lock:
            self.played.append(result)

    def wait_for_creates(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.creates()) >= count:
                return self.creates()
            time.sleep(0.01)
        raise AssertionError(f"expected {count} message(s) at the fake Twilio, got {len(self.creates())}")

    # --- HTTP -----------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes: without this, Nagle's algorithm and the
                # client's delayed ACK add 40 ms to every answer (real Twilio has no such stall).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/_fake/requests":
                    with fake.lock:
                        body = [r.__dict__ for r in fake.received]
                    return self._json(200, body)
                if CALLS_PATH.match(parts.path) or CALL_PATH.match(parts.path):
                    return self._calls("GET", parts.path, parts.query, "")
                match = MESSAGES_PATH.match(parts.path)
                if not match or not self._authorised():
                    return self._json(401 if match else 404, {"code": 20003, "message": "Authenticate", "status": 401})
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.received.append(Received("GET", parts.path, query, dict(self.headers), time.time()))
                with fake.lock:
                    failing, fake.failing_lists = fake.failing_lists > 0, max(fake.failing_lists - 1, 0)
                    failing = failing or fake.outage
                if failing:
                    return self._json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                with fake.lock:
                    found = [m for m in reversed(fake.accepted) if not query.get("To") or m["to"] == query["To"]]
                size = int(query.get("PageSize", 50))
                self._json(
                    200,
                    {
                        "messages": found[:size],
                        "end": min(len(found), size) - 1,
                        "first_page_uri": parts.path,
                        "next_page_uri": None,
                        "page": 0,
                        "page_size": size,
                        "previous_page_uri": None,
                        "start": 0,
                        "uri": self.path,
                    },
                )

            def do_DELETE(self) -> None:
                parts = urlsplit(self.path)
                if CALL_PATH.match(parts.path):
                    return self._calls("DELETE", parts.path, parts.query, "")
                match = MESSAGE_PATH.match(parts.path)
                if not match:
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                fake.received.append(Received("DELETE", parts.path, {}, dict(self.headers), time.time()))
                if not self._authorised() or match["account"] != fake.account_sid:
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                with fake.lock:
                    failing, fake.failing_deletes = fake.failing_deletes > 0, max(fake.failing_deletes - 1, 0)
                if failing or fake.outage:
                    return self._json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                with fake.lock:
                    known = [m for m in fake.accepted if m["sid"] == match["sid"]]
                    fake.accepted = [m for m in fake.accepted if m["sid"] != match["sid"]]
                    if known:
                        fake.deleted.append(match["sid"])
                if not known:
                    return self._json(
                        404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
                    )
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                arrived = time.time()
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                if CALLS_PATH.match(parts.path) or CALL_PATH.match(parts.path):
                    return self._calls("POST", parts.path, parts.query, raw)
                match = MESSAGES_PATH.match(parts.path)
                if not match:
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                params = parse_qs(raw, keep_blank_values=True)
                flat = {k: v[0] for k, v in params.items()}
                record = Received("POST", parts.path, flat, dict(self.headers), arrived)
                if fake.schema is not None:
                    record.violations = check_against_spec(fake.schema, match["account"], params)
                if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    record.violations.append("Content-Type is not application/x-www-form-urlencoded")
                with fake.lock:
                    fake.received.append(record)
                    if fake.outage:
                        answer = Scripted(status=500, code=20500, message="Internal Server Error", accept=False)
                    else:
                        answer = fake.script.pop(0) if fake.script else Scripted()
                if not self._authorised():
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if record.violations:
                    return self._json(422, {"code": 0, "message": "; ".join(record.violations), "status": 422})
                message = fake._message(match["account"], flat)
                if answer.accept if answer.accept is not None else answer.status == 201:
                    with fake.lock:
                        fake.accepted.append(message)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.body is not None:
                    return self._raw(answer.status, answer.body)
                if answer.status == 201:
                    return self._json(201, message)
                self._json(
                    answer.status,
                    {
                        "code": answer.code,
                        "message": answer.message or f"error {answer.code}",
                        "more_info": f"https://www.twilio.com/docs/errors/{answer.code}",
                        "status": answer.status,
                    },
                )

            def _calls(self, method: str, path: str, query: str, raw: str) -> None:
                """Calls.json (create, list) and Calls/CA….json (fetch, update, delete)."""
                arrived = time.time()
                many = CALLS_PATH.match(path)
                match = many or CALL_PATH.match(path)
                assert match is not None
                params = parse_qs(raw if method == "POST" else query, keep_blank_values=True)
                record = Received(method, path, {k: v[0] for k, v in params.items()}, dict(self.headers), arrived)
                schemas = fake.call_schemas
                if schemas is not None:
                    if method == "POST" and many:
                        record.violations = check_call_create(schemas["create"], match["account"], params)
                    elif method == "POST":
                        record.violations = check_form(schemas["update"], match["account"], params)
                    elif many:
                        record.violations = check_call_list(schemas["list"], match["account"], params)
                if method == "POST" and not self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"
                ):
                    record.violations.append("Content-Type is not application/x-www-form-urlencoded")
                with fake.lock:
                    fake.received.append(record)
                    outage = fake.outage
                    answer = Scripted()
                    if method == "POST" and many and not outage and fake.call_script:
                        answer = fake.call_script.pop(0)
                    if method == "GET" and many and fake.failing_call_lists > 0:
                        fake.failing_call_lists -= 1
                        outage = True
                if not self._authorised() or match["account"] != fake.account_sid:
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if outage:
                    return self._json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                if record.violations:
                    return self._json(422, {"code": 0, "message": "; ".join(record.violations), "status": 422})
                if method == "POST" and many:
                    return self._create_call(match["account"], params, answer, arrived)
                if many:
                    return self._json(200, fake._call_page(path, self.path, params))
                return self._one_call(method, match["sid"], params)

            def _create_call(
                self, account: str, params: dict[str, list[str]], answer: Scripted, arrived: float
            ) -> None:
                call = fake._call(account, {k: v[0] for k, v in params.items()})
                placed = PlacedCall(call["sid"], params, arrived)
                accepted = answer.accept if answer.accept is not None else answer.status == 201
                if accepted:
                    with fake.lock:
                        fake.calls[call["sid"]] = call
                        fake.placed.append(placed)
                if accepted and fake.on_call is not None and fake.play_before_answering:
                    fake._play(placed)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.body is not None:
                    self._raw(answer.status, answer.body)
                elif answer.status == 201:
                    self._json(201, call)
                else:
                    self._error(answer)
                if accepted and fake.on_call is not None and not fake.play_before_answering:
                    threading.Thread(target=fake._play, args=(placed,), daemon=True).start()

            def _one_call(self, method: str, sid: str, params: dict[str, list[str]]) -> None:
                with fake.lock:
                    call = fake.calls.get(sid)
                if call is None:
                    return self._json(
                        404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
                    )
                if method == "GET":
                    return self._json(200, fake.call_resource(sid))
                if method == "DELETE":
                    with fake.lock:
                        fake.calls.pop(sid, None)
                        fake.deleted_calls.append(sid)
                    self.send_response(204)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                status = params.get("Status", [None])[0]
                if status and call["status"] not in CALL_ENDED:
                    # Hanging up: a call not yet answered is canceled, an answered one completed.
                    ended = "completed" if call["status"] == "in-progress" else "canceled"
                    fake.set_call(sid, status=ended if status == "completed" else "canceled")
                elif (params.get("Url") or params.get("Twiml")) and call["status"] in CALL_ENDED:
                    return self._json(
                        400, {"code": 21220, "message": "Call is not in-progress. Cannot redirect.", "status": 400}
                    )
                return self._json(200, fake.call_resource(sid))

            def _error(self, answer: Scripted) -> None:
                self._json(
                    answer.status,
                    {
                        "code": answer.code,
                        "message": answer.message or f"error {answer.code}",
                        "more_info": f"https://www.twilio.com/docs/errors/{answer.code}",
                        "status": answer.status,
                    },
                )

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                return self.headers.get("Authorization", "") == f"Basic {expected}"

            def _json(self, status: int, body: Any) -> None:
                self._raw(status, json.dumps(body, default=str))

            def _raw(self, status: int, body: str) -> None:
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): that is the point of a slow answer

        return Handler

    def _message(self, account: str, params: dict[str, str]) -> dict[str, Any]:
        sid = f"SM{uuid.uuid4().hex}"
        now = format_datetime(datetime.now(UTC))
        return {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": params.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {},
            "to": params.get("To"),
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def _call(self, account: str, params: dict[str, str]) -> dict[str, Any]:
        sid = f"CA{uuid.uuid4().hex}"
        now = format_datetime(datetime.now(UTC))
        base = f"/2010-04-01/Accounts/{account}/Calls/{sid}"
        return {
            "account_sid": account,
            "annotation": None,
            "answered_by": None,
            "api_version": "2010-04-01",
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": params.get("From"),
            "from_formatted": params.get("From"),
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": "PN" + "0" * 32,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
                "events": f"{base}/Events.json",
            },
            "to": params.get("To"),
            "to_formatted": params.get("To"),
            "trunk_sid": None,
            "uri": f"{base}.json",
        }

    def _call_page(self, path: str, uri: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of calls, newest first, filtered as Twilio filters them.

        Times: a call's start_time, or (while still queued, with no start_time yet) its
        date_created, so a lookup "calls to this number since the attempt" finds a queued call.
        """
        one = {k: v[0] for k, v in query.items()}

        def keep(call: dict[str, Any]) -> bool:
            if one.get("To") and call["to"] != one["To"]:
                return False
            if one.get("From") and call["from"] != one["From"]:
                return False
            if one.get("Status") and call["status"] != one["Status"]:
                return False
            for name, field_name in (("StartTime", "start_time"), ("EndTime", "end_time")):
                stamp = call[field_name] or (call["date_created"] if field_name == "start_time" else None)
                when = parsedate_to_datetime(stamp) if stamp else None
                tests: tuple[tuple[str, Callable[[datetime, datetime], bool]], ...] = (
                    ("", lambda w, b: w.date() == b.date()),
                    (">", lambda w, b: w >= b),
                    ("<", lambda w, b: w < b),
                )
                for suffix, test in tests:
                    bound = _parse_time(one[name + suffix]) if one.get(name + suffix) else None
                    if bound is not None and (when is None or not test(when, bound)):
                        return False
            return True

        with self.lock:
            found = [dict(c) for c in reversed(self.calls.values()) if keep(c)]
        size = int(one.get("PageSize", 50))
        return {
            "calls": found[:size],
            "end": min(len(found), size) - 1,
            "first_page_uri": path,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="bench-auth-token")
    args = parser.parse_args()
    fake = FakeTwilio(account_sid=args.account_sid, auth_token=args.auth_token, host=args.host, port=args.port)
    print(f"fake Twilio on {fake.url} (spec checks {'on' if fake.schema else 'off: spec not found'})", flush=True)
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
