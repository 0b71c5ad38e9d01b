"""The programmable phone (tests/support/twilio_phone.py) against a throwaway voice menu.

The project has no voice views yet: the views below are a toy menu written the way the real
ones must be (signature checked on PUBLIC_BASE_URL + path, TwiML from `VoiceResponse`), so
these tests pin down what the phone sends and how it walks TwiML, before any voice code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from messaging.backends.twilio import PooledHttpClient
from tests.support.fake_twilio import FakeTwilio
from tests.support.twilio_phone import (
    HANG_UP,
    SILENCE,
    CallError,
    DjangoClientTransport,
    HttpTransport,
    Prompt,
    Speech,
    TwilioPhone,
    keyboard,
)

pytestmark = pytest.mark.urls(__name__)
# live_server flushes the database after a test: restore it for the tests after (as the other
# live and end-to-end tests do), or their seeded content is gone.
live = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CALLER = "+32470123456"
OUR_NUMBER = "+3225550100"
VOICE = {"voice": "Polly.Amy-Neural", "language": "en-GB"}
RECEIVED: list[tuple[str, dict[str, str]]] = []  # (path, params) of every signed request the toy got


def public(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


# --- the toy service ----------------------------------------------------------------------------


def _signed(request: HttpRequest) -> dict[str, str] | None:
    params = request.POST.dict() if request.method == "POST" else {}
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature):
        return None
    RECEIVED.append((request.path, params or request.GET.dict()))
    return params or request.GET.dict()


def _twiml(response: VoiceResponse | str) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")


@csrf_exempt
def menu(request: HttpRequest) -> HttpResponse:
    params = _signed(request)
    if params is None:
        return HttpResponse(status=403)
    if params.get("From") == "+2562533":
        return _twiml('<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>')
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech", num_digits=1, timeout=3, action="choice/", language="en-GB")
    gather.say("Press 1 or say cramp for what to do during a cramp.", **VOICE)
    response.say("We did not hear you. Goodbye.", **VOICE)
    return _twiml(response)


@csrf_exempt
def choice(request: HttpRequest) -> HttpResponse:
    params = _signed(request)
    if params is None:
        return HttpResponse(status=403)
    digits, speech = params.get("Digits", ""), params.get("SpeechResult", "").lower()
    response = VoiceResponse()
    if digits == "1" or "cramp" in speech:
        response.say("Stretch your calf and hold it.", **VOICE)
        response.redirect("../")  # back to the menu, relative to this URL
    elif digits == "3":
        response.redirect("/toy/hello/?from=menu", method="GET")
    elif digits == "5":
        return HttpResponse("boom", status=500)
    elif digits == "7":
        return _twiml('<Response><Say language="en-GB">No voice set</Say></Response>')
    else:
        response.say("Goodbye.", **VOICE)
        response.hangup()
        response.say("Never heard.", **VOICE)
    return _twiml(response)


@csrf_exempt
def hello(request: HttpRequest) -> HttpResponse:
    if _signed(request) is None:
        return HttpResponse(status=403)
    response = VoiceResponse()
    response.say("Hello from a GET.", **VOICE)
    return _twiml(response)


@csrf_exempt
def loop(request: HttpRequest) -> HttpResponse:
    response = VoiceResponse()
    response.pause(length=1)
    response.redirect("./")  # itself, for ever
    return _twiml(response)


@csrf_exempt
def fallback(request: HttpRequest) -> HttpResponse:
    if _signed(request) is None:
        return HttpResponse(status=403)
    response = VoiceResponse()
    response.say("Sorry, something went wrong. Please call again later.", **VOICE)
    return _twiml(response)


@csrf_exempt
def status(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204 if _signed(request) is not None else 403)


@csrf_exempt
def remind(request: HttpRequest) -> HttpResponse:
    if _signed(request) is None:
        return HttpResponse(status=403)
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=5, action="/toy/remind/done/")
    gather.say("Time for a glass of water. Press 1 to hear it again.", **VOICE)
    return _twiml(response)


urlpatterns = [
    path("toy/voice/", menu),
    path("toy/voice/choice/", choice),
    path("toy/hello/", hello),
    path("toy/loop/", loop),
    path("toy/fallback/", fallback),
    path("toy/status/", status),
    path("toy/remind/", remind),
    path("toy/remind/done/", hello),
]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    RECEIVED.clear()
    yield
    RECEIVED.clear()


@pytest.fixture
def phone(client: Any) -> TwilioPhone:
    return TwilioPhone.for_django(client)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    stand_in = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    yield stand_in
    stand_in.stop()
    assert not stand_in.violations()


def twilio_client(fake: FakeTwilio) -> Client:
    http = PooledHttpClient(base_url=fake.url, timeout=2.0)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)


def paths() -> list[str]:
    return [p for p, _ in RECEIVED]


# --- inbound --------------------------------------------------------------------------------------


def test_it_sends_what_twilio_sends_when_a_call_comes_in(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=[HANG_UP])

    first = RECEIVED[0][1]
    assert first["CallSid"] == call.sid and call.sid.startswith("CA") and len(call.sid) == 34
    assert {k: first[k] for k in ("From", "To", "Caller", "Called", "CallStatus", "Direction", "ApiVersion")} == {
        "From": CALLER,
        "To": OUR_NUMBER,
        "Caller": CALLER,
        "Called": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    assert first["AccountSid"] == settings.TWILIO_ACCOUNT_SID
    assert first["FromCountry"] == "BE" and first["ToCountry"] == "BE"


def test_it_gathers_a_digit_and_follows_a_relative_redirect(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["1", HANG_UP])

    assert paths() == ["/toy/voice/", "/toy/voice/choice/", "/toy/voice/"]
    assert RECEIVED[1][1]["Digits"] == "1" and RECEIVED[1][1]["CallStatus"] == "in-progress"
    assert call.heard == [
        "Press 1 or say cramp for what to do during a cramp.",
        "Stretch your calf and hold it.",
        "Press 1 or say cramp for what to do during a cramp.",
    ]
    assert call.said_with[1] == ("Stretch your calf and hold it.", "Polly.Amy-Neural", "en-GB")
    assert call.inputs == ["1"]
    assert (call.status, call.ended_by) == ("completed", "caller")


def test_it_takes_only_num_digits_keys_and_stops_at_the_finish_key(phone: TwilioPhone) -> None:
    phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["12", HANG_UP])
    phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["#", HANG_UP])

    assert RECEIVED[1][1]["Digits"] == "1"
    # "#" alone submits nothing: Twilio runs what follows the <Gather> (no request to choice/).
    assert paths() == ["/toy/voice/", "/toy/voice/choice/", "/toy/voice/", "/toy/voice/"]


def test_it_speaks_to_a_speech_gather(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=[Speech("leg cramp", 0.87), HANG_UP])

    sent = RECEIVED[1][1]
    assert sent["SpeechResult"] == "leg cramp" and float(sent["Confidence"]) == pytest.approx(0.87)
    assert "Digits" not in sent
    assert call.heard[1] == "Stretch your calf and hold it."


def test_no_input_falls_through_to_the_verbs_after_the_gather(phone: TwilioPhone) -> None:
    call = phone.call(
        from_=CALLER,
        to=OUR_NUMBER,
        url=public("/toy/voice/"),
        keys=[SILENCE],
        status_callback=public("/toy/status/"),
    )

    assert call.heard[-1] == "We did not hear you. Goodbye."
    assert (call.status, call.ended_by) == ("completed", "service")  # end of the document hangs up
    assert call.inputs == [""]
    (callback,) = call.status_callbacks
    assert callback.status == 204
    assert callback.params["CallStatus"] == "completed"
    assert int(callback.params["CallDuration"]) == call.duration >= 3  # the gather waited its timeout
    assert paths() == ["/toy/voice/", "/toy/status/"]


def test_a_hangup_ends_the_call_and_nothing_after_it_is_heard(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["9"])

    assert call.heard[-1] == "Goodbye."
    assert "Never heard." not in call.heard
    assert call.ended_by == "service"
    assert "<Hangup>" in call.transcript()


def test_a_redirect_with_get_is_signed_over_the_url_alone(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["3"])

    assert paths()[-1] == "/toy/hello/"
    assert RECEIVED[-1][1]["from"] == "menu" and RECEIVED[-1][1]["CallSid"] == call.sid
    assert call.heard[-1] == "Hello from a GET."


def test_the_view_can_verify_the_signature_and_a_wrong_token_gets_403(phone: TwilioPhone, client: Any) -> None:
    phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=[HANG_UP])
    assert paths() == ["/toy/voice/"]  # the toy view accepted it

    impostor = TwilioPhone(
        DjangoClientTransport(client), auth_token="not-the-token", account_sid=settings.TWILIO_ACCOUNT_SID
    )
    with pytest.raises(CallError, match="HTTP 403"):
        impostor.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"))

    impostor.strict = False
    call = impostor.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"))
    assert call.ended_by == "error" and call.heard == []


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", "+86282452253"])
def test_a_withheld_number_calls_as_twilio_spells_it(phone: TwilioPhone, withheld: str) -> None:
    phone.call(from_=withheld, to=OUR_NUMBER, url=public("/toy/voice/"), keys=[HANG_UP])

    sent = RECEIVED[0][1]
    assert sent["From"] == sent["Caller"] == withheld
    assert sent["FromCountry"] == ""


def test_a_reject_as_first_verb_leaves_the_call_unanswered(phone: TwilioPhone) -> None:
    call = phone.call(from_="+2562533", to=OUR_NUMBER, url=public("/toy/voice/"))

    assert (call.status, call.ended_by) == ("busy", "reject")


def test_invalid_twiml_from_the_service_fails_the_call(phone: TwilioPhone) -> None:
    with pytest.raises(CallError, match="without voice"):
        phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["7"])


def test_a_service_error_goes_to_the_fallback_url_as_on_twilio(phone: TwilioPhone) -> None:
    phone.strict = False
    call = phone.call(
        from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["5"], fallback_url=public("/toy/fallback/")
    )

    assert call.heard[-1] == "Sorry, something went wrong. Please call again later."
    assert call.errors == ["HTTP 500 from https://cramps.example.org/toy/voice/choice/"]
    assert RECEIVED[-1][0] == "/toy/fallback/"
    assert RECEIVED[-1][1]["ErrorCode"] == "11200"
    assert RECEIVED[-1][1]["ErrorUrl"] == public("/toy/voice/choice/")


def test_the_loop_guard_ends_a_call_that_would_never_end(phone: TwilioPhone) -> None:
    phone.max_steps = 8
    with pytest.raises(CallError, match="loop guard"):
        phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/loop/"))

    phone.strict = False
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/loop/"))
    assert call.ended_by == "guard" and len(call.requests) == 8


def test_keys_can_come_from_a_function_for_an_interactive_caller(phone: TwilioPhone) -> None:
    prompts: list[Prompt] = []

    def caller(prompt: Prompt) -> str | object:
        prompts.append(prompt)
        return "1" if len(prompts) == 1 else HANG_UP

    phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=caller)  # type: ignore[arg-type]

    assert prompts[0].input == ["dtmf", "speech"] and prompts[0].num_digits == 1 and prompts[0].timeout == 3
    assert prompts[0].language == "en-GB"
    assert [e.text for e in prompts[0].heard if e.kind == "say"] == [
        "Press 1 or say cramp for what to do during a cramp."
    ]
    assert next(e.text for e in prompts[1].heard if e.kind == "say") == "Stretch your calf and hold it."


@live
def test_it_plays_the_same_call_over_real_http(live_server: Any) -> None:
    phone = TwilioPhone(
        HttpTransport(live_server.url, public_base_url=settings.PUBLIC_BASE_URL),
        auth_token=settings.TWILIO_AUTH_TOKEN,
        account_sid=settings.TWILIO_ACCOUNT_SID,
    )

    call = phone.call(
        from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["1"], status_callback=public("/toy/status/")
    )

    assert paths() == ["/toy/voice/", "/toy/voice/choice/", "/toy/voice/", "/toy/status/"]
    assert call.heard[-1] == "We did not hear you. Goodbye."


# --- outbound -------------------------------------------------------------------------------------

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def place(fake: FakeTwilio, **options: Any) -> str:
    call = twilio_client(fake).calls.create(
        to=CALLER,
        from_=OUR_NUMBER,
        url=public("/toy/remind/?occurrence=42"),
        status_callback=public("/toy/status/"),
        status_callback_event=ALL_EVENTS,
        timeout=30,
        time_limit=300,
        **options,
    )
    return str(call.sid)


def test_an_outbound_call_answered_by_a_machine_after_the_beep(phone: TwilioPhone, fake: FakeTwilio) -> None:
    sid = place(fake, machine_detection="DetectMessageEnd")
    (placed,) = fake.wait_for_calls(1)

    call = phone.answer(placed, answered_by="machine_end_beep", keys=["1"], fake=fake)

    assert placed.sid == sid
    assert paths() == ["/toy/status/", "/toy/status/", "/toy/status/", "/toy/remind/", "/toy/status/"]
    statuses = [params["CallStatus"] for p, params in RECEIVED if p == "/toy/status/"]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    fetch = RECEIVED[3][1]
    assert call.requests[0].url == public("/toy/remind/?occurrence=42")  # signed with its query, as Twilio does
    assert (fetch["CallStatus"], fetch["Direction"], fetch["AnsweredBy"]) == (
        "in-progress",
        "outbound-api",
        "machine_end_beep",
    )
    assert fetch["From"] == OUR_NUMBER and fetch["To"] == CALLER
    assert call.heard == ["Time for a glass of water. Press 1 to hear it again."]
    assert call.inputs == [""]  # a machine presses nothing
    completed = RECEIVED[-1][1]
    assert completed["CallDuration"] == str(call.duration) and completed["AnsweredBy"] == "machine_end_beep"
    resource = twilio_client(fake).calls(sid).fetch()
    assert (resource.status, resource.answered_by) == ("completed", "machine_end_beep")
    assert resource.duration == str(call.duration)


def test_a_person_answers_and_presses_a_key(phone: TwilioPhone, fake: FakeTwilio) -> None:
    place(fake, machine_detection="DetectMessageEnd")
    call = phone.answer(fake.wait_for_calls(1)[0], keys=["1"], fake=fake)

    assert call.inputs == ["1"]
    assert paths()[3:5] == ["/toy/remind/", "/toy/remind/done/"]
    assert RECEIVED[3][1]["AnsweredBy"] == "human"


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_an_outbound_call_that_is_not_answered(phone: TwilioPhone, fake: FakeTwilio, outcome: str) -> None:
    sid = place(fake)
    call = phone.answer(fake.wait_for_calls(1)[0], outcome=outcome, fake=fake)

    statuses = [params["CallStatus"] for _, params in RECEIVED]
    ringing = [] if outcome == "failed" else ["ringing"]
    assert statuses == ["initiated", *ringing, outcome]
    assert RECEIVED[-1][1]["CallDuration"] == "0"
    assert "/toy/remind/" not in paths()
    assert call.status == outcome
    listed = twilio_client(fake).calls.list(to=CALLER, status=outcome)
    assert [c.sid for c in listed] == [sid]


def test_only_the_completed_callback_when_no_events_are_asked(phone: TwilioPhone, fake: FakeTwilio) -> None:
    twilio_client(fake).calls.create(
        to=CALLER, from_=OUR_NUMBER, url=public("/toy/remind/"), status_callback=public("/toy/status/")
    )
    phone.answer(fake.wait_for_calls(1)[0], fake=fake)

    assert [params["CallStatus"] for p, params in RECEIVED if p == "/toy/status/"] == ["completed"]
    assert "AnsweredBy" not in RECEIVED[0][1]  # no machine detection asked


def test_async_amd_reports_to_its_own_callback(phone: TwilioPhone, fake: FakeTwilio) -> None:
    place(
        fake,
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=public("/toy/status/?amd=1"),
    )
    phone.answer(fake.wait_for_calls(1)[0], answered_by="machine_end_silence", fake=fake)

    fetch = next(params for p, params in RECEIVED if p == "/toy/remind/")
    assert "AnsweredBy" not in fetch
    amd = next(params for p, params in RECEIVED if params.get("amd") == "1" or "MachineDetectionDuration" in params)
    assert amd["AnsweredBy"] == "machine_end_silence"


def test_a_call_hung_up_through_the_api_goes_no_further(phone: TwilioPhone, fake: FakeTwilio) -> None:
    sid = place(fake)
    twilio_client(fake).calls(sid).update(status="completed")  # still queued: canceled

    call = phone.answer(fake.wait_for_calls(1)[0], fake=fake)

    assert (call.status, call.ended_by) == ("canceled", "api")
    assert [params["CallStatus"] for _, params in RECEIVED] == ["canceled"]  # never dialled
    assert twilio_client(fake).calls(sid).fetch().status == "canceled"


@live
def test_the_stand_in_plays_each_call_by_itself_against_a_live_server(live_server: Any, fake: FakeTwilio) -> None:
    phone = TwilioPhone.for_server(live_server.url)
    fake.on_call = lambda placed: phone.answer(placed, keys=["1"], fake=fake)

    sid = place(fake, machine_detection="DetectMessageEnd")
    (call,) = fake.wait_for_played(1)

    assert call.sid == sid and call.inputs == ["1"]
    assert fake.call_resource(sid)["status"] == "completed"
    assert [params["CallStatus"] for p, params in RECEIVED if p == "/toy/status/"][-1] == "completed"


def test_inline_twiml_is_played_without_a_fetch(phone: TwilioPhone, fake: FakeTwilio) -> None:
    response = VoiceResponse()
    response.say("Drink some water.", **VOICE)
    twilio_client(fake).calls.create(
        to=CALLER, from_=OUR_NUMBER, twiml=str(response), status_callback=public("/toy/status/")
    )

    call = phone.answer(fake.wait_for_calls(1)[0], fake=fake)

    assert call.heard == ["Drink some water."]
    assert paths() == ["/toy/status/"]


@live
def test_status_callbacks_can_all_arrive_before_the_create_returns(live_server: Any, fake: FakeTwilio) -> None:
    phone = TwilioPhone.for_server(live_server.url)
    fake.on_call = lambda placed: phone.answer(placed, outcome="no-answer", fake=fake)
    fake.play_before_answering = True

    sid = place(fake)

    # By the time the create returned, the service had heard the whole call.
    assert [params["CallStatus"] for _, params in RECEIVED] == ["initiated", "ringing", "no-answer"]
    assert {params["CallSid"] for _, params in RECEIVED} == {sid}


def test_a_gather_action_carries_what_twilio_adds(phone: TwilioPhone) -> None:
    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=["1#", HANG_UP])

    sent = RECEIVED[1][1]
    assert (sent["Digits"], sent["FinishedOnKey"], sent["msg"]) == ("1", "", "Gather End")
    assert all(exchange.seconds < 15 for exchange in call.exchanges)


def test_a_caller_at_a_keyboard(phone: TwilioPhone) -> None:
    typed = iter(["say leg cramp", "", "q"])
    shown: list[str] = []

    def at_keyboard(prompt: Prompt) -> Any:
        return keyboard(prompt, read=lambda _: next(typed), write=shown.append)

    call = phone.call(from_=CALLER, to=OUR_NUMBER, url=public("/toy/voice/"), keys=at_keyboard)

    assert call.inputs == ["leg cramp", ""]
    assert call.ended_by == "service"  # silence at the second menu: goodbye, end of the document
    assert shown[0] == "Say [en-GB Polly.Amy-Neural]: Press 1 or say cramp for what to do during a cramp."


def test_the_time_limit_ends_an_outbound_call(phone: TwilioPhone, fake: FakeTwilio) -> None:
    twilio_client(fake).calls.create(
        to=CALLER, from_=OUR_NUMBER, url=public("/toy/remind/"), time_limit=3, status_callback=public("/toy/status/")
    )

    call = phone.answer(fake.wait_for_calls(1)[0], keys=["1"], fake=fake)

    # The reminder (about 4 s) and the key press fit; what the next document says does not.
    assert call.inputs == ["1"] and call.heard == ["Time for a glass of water. Press 1 to hear it again."]
    assert (call.status, call.ended_by) == ("completed", "time-limit")
