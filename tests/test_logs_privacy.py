"""No phone number and no message text in any log line, from any logger, at DEBUG.

Real flows run with every logger at DEBUG through the service's own logging configuration
(its handler and filters): a keyword reply through the `twilio` client and the local
stand-in (including the look-up Twilio is asked after a timeout, whose URL holds the
number), a Twilio 21211 whose error text quotes the number, STOP, a reminder, an SMS from a
sender that cannot be answered, an admin search by number, FORGET with its erasure and
deletions at Twilio, and an operator's export and erasure.
"""

from __future__ import annotations

import copy
import io
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from contacts.models import Contact
from contacts.phone import mask_numbers
from messaging import bulk, outbound
from messaging.models import Message
from reminders.schedule import SLOT_FORMAT
from reminders.scheduler import reminders_plan_due
from tests.support.fake_twilio import FakeTwilio, Scripted
from tests.support.people import make_contact

pytestmark = pytest.mark.django_db

ASKER = "+32470123456"
BAD_NUMBER = "+32470999888"
CONTACT = "+32470555666"
UNANSWERABLE = "+9991234567890"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything every logger writes, at DEBUG, through the configured handler and filters."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = stream
    config["root"]["level"] = "DEBUG"
    for logger in config["loggers"].values():
        logger["level"] = "DEBUG"
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    logging.config.dictConfig(config)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.config.dictConfig(settings.LOGGING)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def forms_of(number: str) -> list[str]:
    national = number[3:]  # a Belgian number's digits after +32
    return [number, number[1:], "%2B" + number[1:], "0" + national, national]


def test_no_number_and_no_text_reaches_the_logs_at_debug(
    debug_log: io.StringIO, text: Any, fake_twilio: FakeTwilio, client: Client, settings: Any
) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    asked = "ik heb vaak kramp in mijn kuit vannacht"
    # A reply whose answer comes after the client's timeout: the retry asks Twilio first, by number.
    fake_twilio.then(Scripted(delay=1.5))
    reply = text(asked, sender=ASKER)
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    outbound.message_send(message_id=reply.pk)
    # Twilio's 21211 text quotes the number.
    fake_twilio.then(
        Scripted(status=400, code=21211, message=f"The 'To' number {BAD_NUMBER} is not a valid phone number.")
    )
    text("waarom krijg ik krampen in mijn benen", sender=BAD_NUMBER)
    text("STOP", sender=ASKER)
    texts_before_erasure = [m.body for m in Message.objects.all() if len(m.body) > 12]
    text("kramp in de nacht, wat nu", sender=UNANSWERABLE)
    contact = make_contact(
        phone_number=CONTACT, language_id="nl", time_zone="Europe/Brussels", reminder_times=["09:00"]
    )
    contact.next_reminder_at = timezone.now()
    contact.next_reminder_slot = timezone.localtime().strftime(SLOT_FORMAT)
    contact.save()
    reminders_plan_due()
    while bulk.bulk_send_batch().claimed:
        pass
    client.force_login(User.objects.create_superuser("operator", "operator@example.org", "pw"))
    assert client.get("/admin/contacts/contact/", {"q": CONTACT}).status_code == 200
    assert client.get("/admin/messaging/message/", {"q": ASKER}).status_code == 200
    # What runserver logs for that search (gunicorn's access log format leaves the query out).
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /admin/contacts/contact/?q=%2B{CONTACT[1:]} HTTP/1.1", "200", "1234"
    )

    # FORGET from the number that asked (its erasure and the deletions at Twilio), and an
    # operator's export and erasure of the contact.
    text("FORGET", sender=ASKER)
    contact = Contact.objects.get(phone_number=CONTACT)
    assert client.get(f"/admin/contacts/contact/{contact.pk}/export/").status_code == 200
    assert client.post(f"/admin/contacts/contact/{contact.pk}/erase/").status_code == 302

    output = debug_log.getvalue()
    assert "DEBUG" in output and "messaging.outbound" in output  # everything logged, at DEBUG
    assert "error 21211" in output and "+32470***888" in output  # masked, as contacts.phone.masked does
    assert "/admin/contacts/contact/?…" in output
    for number in (ASKER, BAD_NUMBER, CONTACT, UNANSWERABLE):
        for form in forms_of(number):
            assert form not in output, f"{form} is in the logs"
    assert "contact erased" in output and "exported everything" in output
    bodies = [*texts_before_erasure, *[m.body for m in Message.objects.all() if len(m.body) > 12]]
    assert len(bodies) >= 6
    for body in bodies:
        assert body not in output, f"a message text is in the logs: {body[:30]}"
    # Stored error texts are masked too (the admin shows them; they outlive the number).
    failed = Message.objects.get(phone_number=BAD_NUMBER, direction=Message.Direction.OUTBOUND)
    assert "The 'To' number" in failed.error_message
    assert BAD_NUMBER not in failed.error_message and "+32470***888" in failed.error_message
    assert BAD_NUMBER not in Contact.objects.get(phone_number=BAD_NUMBER).sms_undeliverable_reason


def test_numbers_in_any_text_are_masked_as_the_project_masks_them() -> None:
    assert mask_numbers("The 'To' number +32470123456 is not valid") == "The 'To' number +32470***456 is not valid"
    assert mask_numbers("GET /Messages.json?To=%2B32470123456&PageSize=20") == (
        "GET /Messages.json?To=%2B32470***456&PageSize=20"
    )
    assert mask_numbers("message 1234567 SM0000000000000000000000000000003a at 10:00:00") == (
        "message 1234567 SM0000000000000000000000000000003a at 10:00:00"
    )


def test_gunicorn_access_log_leaves_out_query_strings_and_referrers() -> None:
    namespace: dict[str, Any] = {}
    exec(Path(settings.BASE_DIR / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - our own config file
    fmt = namespace["access_log_format"]
    assert "%(U)s" in fmt
    for atom in ("%(r)s", "%(q)s", "%(f)s"):
        assert atom not in fmt
