"""The TwiML checker (tests/support/twiml_check.py): it must refuse what Twilio refuses, or the
voice tests prove nothing, and accept what the `twilio` package's VoiceResponse writes."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import VoiceResponse

from tests.support.twiml_check import assert_valid_twiml, twiml_problems

VOICE = {"voice": "Polly.Lisa-Neural", "language": "nl-BE"}


def menu() -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        timeout=5,
        action="/twilio/voice/menu/?call=1&step=2",
        method="POST",
        finish_on_key="",
        action_on_empty_result=False,
        language="nl-NL",
        hints="kramp, voorkomen",
        speech_timeout="auto",
    )
    gather.say("Druk 1 voor kramp.", **VOICE)
    gather.pause(length=1)
    gather.play("https://cramps.example.org/static/beep.mp3")
    response.say("Tot ziens.", voice="Google.nl-BE-Wavenet-A", language="nl-BE")
    response.redirect("https://cramps.example.org/twilio/voice/", method="POST")
    response.hangup()
    return response


def test_it_accepts_a_menu_written_with_voice_response() -> None:
    root = assert_valid_twiml(str(menu()))

    assert [verb.tag for verb in root] == ["Gather", "Say", "Redirect", "Hangup"]


def test_it_accepts_reject_dial_and_record() -> None:
    response = VoiceResponse()
    dial = response.dial(timeout=20, caller_id="+3225550100", action="/after/")
    dial.number("+32470123456", send_digits="wwww1234")
    response.record(max_length=30, play_beep=True, finish_on_key="#*")
    response.reject(reason="busy")

    assert twiml_problems(str(response)) == []


@pytest.mark.parametrize(
    ("twiml", "problem"),
    [
        ("<Response><Say", "not well-formed XML"),
        ('<Response><Say voice="Polly.Amy" language="en-GB">a\x0bb</Say></Response>', "not well-formed XML"),
        ("<Reply/>", "root element is <Reply>"),
        ("<Response><Sya/></Response>", "<Sya>: not a TwiML voice verb"),
        ("<Response><Hangup/>Goodbye</Response>", "text outside any verb: 'Goodbye'"),
        ("<Response>Hello<Hangup/></Response>", "text outside any verb: 'Hello'"),
        ("<Response><Message>hi</Message></Response>", "<Message>: not a TwiML voice verb"),
        ('<Response><Say voice="Polly.Amy" language="en-GB" speed="2">hi</Say></Response>', "no attribute 'speed'"),
        ('<Response><Gather numDigit="1"/></Response>', "no attribute 'numDigit'"),
        ('<Response><Say language="en-GB">hi</Say></Response>', "<Say> without voice"),
        ('<Response><Say voice="Polly.Amy-Neural">hi</Say></Response>', "<Say> without language"),
        ('<Response><Say voice="Polly.Amy-Neural" language="en-GB"> </Say></Response>', "says nothing"),
        (
            f'<Response><Say voice="Polly.Amy-Neural" language="en-GB">{"a" * 3001}</Say></Response>',
            "3001 characters, more than 3,000",
        ),
        ('<Response><Say voice="Polly.Lisa-Neural" language="fr-BE">hi</Say></Response>', "speaks nl-BE"),
        ('<Response><Say voice="Google.nl-BE-Wavenet-A" language="en-GB">hi</Say></Response>', "speaks nl-BE"),
        ('<Response><Say voice="Bob" language="en-GB">hi</Say></Response>', "is not a Twilio voice"),
        ('<Response><Say voice="Polly.Amy" language="english">hi</Say></Response>', "BCP-47"),
        ('<Response><Gather numDigits="0"/></Response>', "positive integer"),
        ('<Response><Gather numDigits="one"/></Response>', "positive integer"),
        ('<Response><Gather timeout="-1"/></Response>', "positive integer"),
        ("<Response><Gather input=\"['dtmf', 'speech']\"/></Response>", "is not dtmf, speech or 'dtmf speech'"),
        ('<Response><Gather finishOnKey="##"/></Response>', "does not match"),
        ('<Response><Gather action="http://exa mple.org/x"/></Response>', "not a well-formed URL"),
        ('<Response><Gather action="ftp://example.org/x"/></Response>', "not a well-formed URL"),
        ('<Response><Gather method="PUT"/></Response>', "is not GET or POST"),
        ('<Response><Gather actionOnEmptyResult="True"/></Response>', "is not true or false"),
        ("<Response><Gather><Hangup/></Gather></Response>", "<Hangup> is not allowed inside <Gather>"),
        ("<Response><Gather>Press 1</Gather></Response>", "<Gather> takes no text"),
        ("<Response><Redirect/></Response>", "<Redirect> needs a URL"),
        ('<Response><Reject reason="later"/></Response>', "is not one of ['busy', 'rejected']"),
        ('<Response><Pause length="0"/></Response>', "positive integer"),
        ("<Response><Play/></Response>", "<Play> needs a URL or digits"),
        ("<Response><Hangup><Say/></Hangup></Response>", "<Hangup> takes no nested elements"),
        ('<Response><Say voice="Polly.Amy" language="en-GB">hi <b>x</b></Say></Response>', "not SSML"),
    ],
)
def test_it_refuses_what_twilio_refuses(twiml: str, problem: str) -> None:
    problems = twiml_problems(twiml)

    assert any(problem in p for p in problems), problems


def test_the_library_writes_a_list_input_that_twilio_refuses() -> None:
    # Why the checker reads `input`: VoiceResponse writes a Python list as its repr.
    response = VoiceResponse()
    response.gather(input=["dtmf", "speech"]).say("Kies.", **VOICE)

    with pytest.raises(AssertionError, match="dtmf, speech or 'dtmf speech'"):
        assert_valid_twiml(str(response))


def test_a_say_at_the_limit_and_ssml_are_fine() -> None:
    response = VoiceResponse()
    say = response.say("a" * 2990, voice="Polly.Amy-Neural", language="en-GB")
    say.break_(time="1s")
    say.prosody("slowly", rate="slow")

    assert twiml_problems(str(response)) == []
