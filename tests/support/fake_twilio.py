"""A local stand-in for Twilio's REST API, for the real `twilio` client to talk to over HTTP.

It serves Messages create, list and delete, checks every request against Twilio's own OpenAPI
description (../shared/twilio/twilio_api_v2010.json: parameter names, required ones, types,
formats, SID patterns, Basic auth) and records what it received. A test scripts its answers:
Twilio errors (21610, 21211, 429, 500...), a slow answer (to trigger the client's timeout),
an answer after the message was accepted, or an outage (every request answered 500).

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_api_v2010.json"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
MESSAGES_TEMPLATE = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>(SM|MM)[0-9a-f]{32})\.json$")
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
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

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
        return [r for r in self.received if r.method == "POST"]

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
