"""The try-it phone: a text typed in the browser goes through the real webhook and rules, is
marked as simulated in the message log, and its reply never reaches Twilio."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from messaging.backends import OutgoingSms, get_backend
from messaging.models import Message
from messaging.simulated import SIMULATED_SID_PREFIX, is_simulated_number, simulated_number
from tryit import services

pytestmark = pytest.mark.django_db

PHONE = simulated_number(42)


def test_simulated_numbers_are_belgian_in_form_and_nobodys() -> None:
    import phonenumbers

    parsed = phonenumbers.parse(PHONE)
    assert PHONE == "+32400000042"
    assert parsed.country_code == 32
    assert phonenumbers.is_possible_number(parsed)
    assert not phonenumbers.is_valid_number(parsed)  # no operator has this range
    assert not is_simulated_number("+32470123456")


def test_a_text_goes_through_the_webhook_and_the_reply_stays_here(outbox: list[Any]) -> None:
    inbound = services.sms_try(sender=PHONE, text="KRAMP")

    reply = inbound.replies.get()
    assert inbound.state == Message.State.HANDLED
    assert inbound.params["Simulated"] == "try-it"  # marked in the message log
    assert inbound.note.startswith("KRAMP")
    assert reply.body.startswith("Kramp in uw been?")  # Belgian: the languages' priority, as for +32470...
    assert reply.state == Message.State.SUBMITTED
    assert reply.provider_sid.startswith(SIMULATED_SID_PREFIX)
    assert outbox == []  # the configured backend (Twilio in production) never saw it


def test_the_thread_shows_both_sides_oldest_first() -> None:
    services.sms_try(sender=PHONE, text="KRAMP")
    services.sms_try(sender=PHONE, text="REMIND")

    bubbles = services.thread(number=PHONE)

    assert [b.incoming for b in bubbles] == [False, True, False, True]
    assert [b.text for b in bubbles][0::2] == ["KRAMP", "REMIND"]
    assert bubbles[3].text.startswith("Herinneringen ingeschakeld")
    assert bubbles[3].note == "reply to a keyword: simulated, not sent"


def test_it_never_texts_as_a_real_number() -> None:
    with pytest.raises(services.NotSimulated):
        services.sms_try(sender="+32470123456", text="STOP")
    with pytest.raises(services.NotSimulated):
        services.thread(number="+32470123456")
    assert not Message.objects.exists()


def test_the_router_keeps_every_message_to_a_simulated_number_from_the_real_backend(outbox: list[Any]) -> None:
    backend = get_backend()
    kept = backend.send_sms(OutgoingSms(to=PHONE, body="reminder", sender="", status_callback=""))
    sent = backend.send_sms(OutgoingSms(to="+32470123456", body="reminder", sender="", status_callback=""))

    assert kept.sid.startswith(SIMULATED_SID_PREFIX)
    assert [sms.to for sms in outbox] == ["+32470123456"]
    assert not sent.sid.startswith(SIMULATED_SID_PREFIX)


def test_the_admin_page_is_for_staff_and_view_site_leads_there(client: Client) -> None:
    assert client.get("/admin/try/").status_code == 302  # to the login
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))

    page = client.get("/admin/try/")
    index = client.get("/admin/")

    assert page.status_code == 200
    assert 'id="tryit-screen"' in page.content.decode()
    assert 'href="/admin/try/"' in index.content.decode()  # "View site"
    answer = client.post("/admin/try/send/", {"text": "HELP"}).json()
    assert answer["number"] == simulated_number(User.objects.get().pk)
    assert [m["incoming"] for m in answer["messages"]] == [False, True]


def test_the_page_without_signing_in_is_there_only_where_try_it_public_is_on(client: Client, settings: Any) -> None:
    settings.TRY_IT_PUBLIC = False
    assert client.get("/try/").status_code == 404
    assert client.get("/").status_code == 404
    assert client.post("/try/send/", {"text": "KRAMP"}).status_code == 404

    settings.TRY_IT_PUBLIC = True
    assert client.get("/").url == "/try/"
    page = client.get("/try/")
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<script>" not in page.content.decode()  # no inline script: the policy forbids them
    answer = client.post("/try/send/", {"text": "KRAMP"}).json()
    assert is_simulated_number(answer["number"])
    assert answer["messages"][1]["incoming"] is True


def test_the_message_log_filters_the_try_it_phones_messages(client: Client) -> None:
    services.sms_try(sender=PHONE, text="KRAMP")
    Message.objects.create(direction="in", phone_number="+32470123456", body="x", state="handled")
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))

    simulated = client.get("/admin/messaging/message/?simulated=yes")
    real = client.get("/admin/messaging/message/?simulated=no")

    assert simulated.context["cl"].result_count == 2
    assert real.context["cl"].result_count == 1
