"""Random signed parameters to both webhooks: whatever is signed, the answer is never a 500.

Derandomized and bounded. Runs on PostgreSQL too (./test with DATABASE_URL), where a NUL or
an out-of-range number fails in the database rather than in Python.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import Message
from tests.conftest import INBOUND_PATH, STATUS_PATH, inbound_params, sign

pytestmark = pytest.mark.django_db

NAMES = [
    *["MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "NumSegments"],
    *["MessageStatus", "SmsStatus", "ErrorCode", "OptOutType", "FromCountry", "MediaUrl0", "ApiVersion"],
]
NASTY = [
    *["", "²", "\x00", "2147483648", "-1", "99999999999999999999", "SM" + "0" * 32 + "\x00", "SM" + "a" * 100],
    *["STOP", "START", "delivered", "undelivered", "failed", "21610", "30006", "+32470123456", "0470 12 34 56"],
]
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.text("0123456789abcdef", max_size=40).map(lambda digits: "SM" + digits),
)
CHANGES = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=10)), VALUE, max_size=6)
DROPPED = st.sets(st.sampled_from(NAMES), max_size=4)
REF = st.one_of(st.none(), st.sampled_from(["²", "0", "-1", "9" * 30, "1e3", " 1"]), st.text(max_size=12))

SETTINGS = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _post(client: Client, path: str, params: dict[str, str]) -> Any:
    # Form-encoded, as Twilio posts; signed over what Django will decode.
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sign(path, params),
    )


def _vary(base: dict[str, str], changes: dict[str, str], dropped: set[str]) -> dict[str, str]:
    return {k: v for k, v in {**base, **changes}.items() if k not in dropped}


@SETTINGS
@given(changes=CHANGES, dropped=DROPPED)
def test_the_inbound_webhook_never_answers_500(
    client: Client, django_capture_on_commit_callbacks: Any, changes: dict[str, str], dropped: set[str]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # and its handling never raises
        response = _post(client, INBOUND_PATH, _vary(inbound_params(), changes, dropped))

    assert response.status_code in (200, 400, 403)


@SETTINGS
@given(changes=CHANGES, dropped=DROPPED, ref=REF)
def test_the_status_callback_never_answers_500(
    client: Client, text: Any, changes: dict[str, str], dropped: set[str], ref: str | None
) -> None:
    reply = Message.objects.filter(direction="out").first() or text("KRAMP")
    base = {"MessageSid": reply.provider_sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    path = STATUS_PATH + ("" if ref is None else f"?m={quote(ref, safe='')}")

    response = _post(client, path, _vary(base, changes, dropped))

    assert response.status_code in (204, 400, 403)
