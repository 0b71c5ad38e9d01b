"""The stand-in's Calls resource, through the real `twilio` client: what Twilio's spec refuses
is refused, scripted errors come back as Twilio's, and the resource lists as Twilio lists it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from messaging.backends.twilio import PooledHttpClient
from tests.support.fake_twilio import SPEC_PATH, FakeTwilio, Scripted, check_call_create, load_call_schemas

pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="../shared/twilio/ is not beside this checkout")

ACCOUNT = "AC" + "0" * 32
CALLER = "+32470123456"
OUR_NUMBER = "+3225550100"
GOOD = {
    "To": [CALLER],
    "From": [OUR_NUMBER],
    "Url": ["https://cramps.example.org/twilio/voice/remind/?attempt=1"],
    "StatusCallback": ["https://cramps.example.org/twilio/voice/status/"],
    "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
    "Timeout": ["30"],
    "TimeLimit": ["300"],
    "MachineDetection": ["DetectMessageEnd"],
    "AsyncAmd": ["false"],
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded = load_call_schemas()
    assert loaded is not None
    return loaded["create"]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    stand_in = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    http = PooledHttpClient(base_url=fake.url, timeout=1.0)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)


def create(client: Client, **options: Any) -> Any:
    arguments: dict[str, Any] = {
        "to": CALLER,
        "from_": OUR_NUMBER,
        "url": "https://cramps.example.org/twilio/voice/remind/",
        **options,
    }
    return client.calls.create(**arguments)


def test_it_accepts_what_a_reminder_call_sends(schema: dict[str, Any]) -> None:
    assert check_call_create(schema, ACCOUNT, GOOD) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"To": None}, "missing required parameter To"),
        ({"From": None}, "missing required parameter From"),
        ({"To": ["0470123456"]}, "is not an E.164 phone number"),
        ({"Url": None}, "exactly one of Url, Twiml, ApplicationSid"),
        ({"Twiml": ["<Response><Hangup/></Response>"]}, "exactly one of Url, Twiml, ApplicationSid"),
        ({"Url": ["/twilio/voice/remind/"]}, "is not a URL Twilio accepts"),
        ({"StatusCallbackEvent": ["answered", "hungup"]}, "StatusCallbackEvent='hungup'"),
        ({"Timeout": ["601"]}, "between 1 and 600"),
        ({"Timeout": ["soon"]}, "is not an integer"),
        ({"MachineDetection": ["true"]}, "is not Enable or DetectMessageEnd"),
        ({"AsyncAmd": ["True"]}, "is not 'true' or 'false'"),
        ({"Method": ["PUT"]}, "is not one of"),
        ({"MachineDetectionTimout": ["30"]}, "unknown parameter MachineDetectionTimout"),
        ({"Timeout": ["30", "40"]}, "Timeout given 2 times"),
    ],
)
def test_it_refuses_what_twilio_refuses(schema: dict[str, Any], change: dict[str, Any], problem: str) -> None:
    params = {k: v for k, v in {**GOOD, **change}.items() if v is not None}

    assert any(problem in p for p in check_call_create(schema, ACCOUNT, params)), check_call_create(
        schema, ACCOUNT, params
    )


def test_inline_twiml_is_checked_like_any_twiml(schema: dict[str, Any]) -> None:
    params = {**{k: v for k, v in GOOD.items() if k != "Url"}, "Twiml": ["<Response><Say>hi</Say></Response>"]}

    assert any("Twiml: <Say> without voice" in p for p in check_call_create(schema, ACCOUNT, params))
    params["Twiml"] = ["<Response>" + "<Pause/>" * 500 + "</Response>"]
    assert "Twiml is longer than 4,000 characters" in check_call_create(schema, ACCOUNT, params)


def test_the_real_client_creates_a_call(client: Client, fake: FakeTwilio) -> None:
    call = create(client, status_callback_event=["initiated", "completed"], machine_detection="DetectMessageEnd")

    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.to, call._from, call.direction) == ("queued", CALLER, OUR_NUMBER, "outbound-api")
    (placed,) = fake.placed
    assert placed.sid == call.sid and placed.events == ["initiated", "completed"]
    assert placed.get("MachineDetection") == "DetectMessageEnd"
    assert [r.violations for r in fake.call_creates()] == [[]]
    assert fake.creates() == []  # Messages only


def test_the_library_sends_a_python_true_as_True_and_twilio_refuses_it(client: Client, fake: FakeTwilio) -> None:
    with pytest.raises(TwilioRestException) as refused:
        create(client, async_amd=True)

    assert refused.value.status == 422 and "AsyncAmd='True'" in refused.value.msg
    assert fake.placed == []


def test_it_lists_calls_as_the_client_asks(client: Client, fake: FakeTwilio) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    first = create(client)
    second = create(client, to="+33612345678")

    assert [c.sid for c in client.calls.list(to=CALLER, start_time_after=before)] == [first.sid]
    assert [c.sid for c in client.calls.list(start_time_after=before)] == [second.sid, first.sid]
    assert client.calls.list(to=CALLER, start_time_after=datetime.now(UTC) + timedelta(minutes=5)) == []
    assert [c.sid for c in client.calls.list(status="queued", page_size=1, limit=1)] == [second.sid]
    listing = [r for r in fake.call_requests() if r.method == "GET"]
    assert listing[0].params["StartTime>"] == before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(not r.violations for r in listing)


def test_it_fetches_hangs_up_and_deletes_a_call(client: Client, fake: FakeTwilio) -> None:
    queued, answered = create(client), create(client)
    fake.set_call(answered.sid, status="in-progress", answered_by="human")

    assert client.calls(queued.sid).update(status="completed").status == "canceled"  # never answered
    hung_up = client.calls(answered.sid).update(status="completed")
    assert (hung_up.status, hung_up.answered_by) == ("completed", "human")
    assert hung_up.start_time is not None and hung_up.end_time is not None
    assert client.calls(answered.sid).fetch().status == "completed"

    assert client.calls(queued.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        client.calls(queued.sid).fetch()
    assert missing.value.status == 404
    assert fake.deleted_calls == [queued.sid]


def test_a_finished_call_cannot_be_redirected(client: Client, fake: FakeTwilio) -> None:
    call = create(client)
    fake.set_call(call.sid, status="completed")

    with pytest.raises(TwilioRestException) as refused:
        client.calls(call.sid).update(url="https://cramps.example.org/twilio/voice/other/")

    assert refused.value.code == 21220


@pytest.mark.parametrize(("status", "code"), [(400, 21215), (400, 13224), (429, 20429), (503, 20503)])
def test_it_answers_a_scripted_twilio_error(client: Client, fake: FakeTwilio, status: int, code: int) -> None:
    fake.then_calls(Scripted(status=status, code=code, message="scripted"))

    with pytest.raises(TwilioRestException) as failed:
        create(client)
    assert (failed.value.status, failed.value.code) == (status, code)
    assert fake.placed == []
    assert create(client).status == "queued"  # the script is used up: 201 again


def test_calls_have_their_own_script(client: Client, fake: FakeTwilio) -> None:
    fake.then(Scripted(status=400, code=21610))  # meant for a message

    assert create(client).status == "queued"
    assert fake.script  # still there for the next Messages create


def test_a_call_accepted_before_a_slow_answer_is_listed(client: Client, fake: FakeTwilio) -> None:
    fake.then_calls(Scripted(delay=1.5))

    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        create(client)

    # The ambiguity reminder calls must resolve: Twilio has the call though the client timed out.
    assert [c.to for c in client.calls.list(to=CALLER)] == [CALLER]


def test_an_outage_answers_500_to_every_call_request(client: Client, fake: FakeTwilio) -> None:
    call = create(client)
    fake.outage = True

    # A failed page is a plain TwilioException (the library's list does not parse the error).
    attempts: list[Callable[[], object]] = [
        lambda: create(client),
        lambda: client.calls.list(to=CALLER),
        lambda: client.calls(call.sid).fetch(),
    ]
    for attempt in attempts:
        with pytest.raises(TwilioException, match="500"):
            attempt()

    fake.outage = False
    fake.failing_call_lists = 1
    with pytest.raises(TwilioException):
        client.calls.list(to=CALLER)
    assert len(client.calls.list(to=CALLER)) == 1


def test_a_wrong_token_is_refused(fake: FakeTwilio) -> None:
    http = PooledHttpClient(base_url=fake.url, timeout=1.0)
    impostor = Client(settings.TWILIO_ACCOUNT_SID, "wrong", http_client=http)

    with pytest.raises(TwilioRestException) as refused:
        create(impostor)
    assert refused.value.status == 401
