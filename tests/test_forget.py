"""FORGET: one confirmation in the person's language, then everything about the number is
erased, here and at Twilio; a keyed HMAC keeps them from being texted until they text again.
Retention and the export, on a frozen clock."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from advice.models import Topic
from contacts.models import Contact, Suppression
from contacts.suppression import is_suppressed, number_hmac
from messaging.models import Message, ProviderDeletion
from privacy import services as privacy
from privacy import tasks
from reminders.scheduler import reminders_plan_due
from tests.support.fake_twilio import FakeTwilio
from tests.support.people import plan

pytestmark = pytest.mark.django_db
NUMBER = "+32470123456"


def database_dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def _an_old_admin_edit_names_the_number() -> None:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    contact = Contact.objects.get(phone_number=NUMBER)
    LogEntry.objects.create(
        user=User.objects.create_user("old-admin"),
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=NUMBER,
        action_flag=CHANGE,
    )


@pytest.mark.parametrize(
    ("first", "forget", "language", "confirmation"),
    [
        ("KRAMP", "WIS MIJN GEGEVENS", "nl", "Uw nummer en uw berichten zijn gewist"),
        ("KRAMP", "Vergeet mij!", "nl", "Uw nummer en uw berichten zijn gewist"),
        ("CRAMPE", "Oubliez-moi", "fr", "Votre numéro et vos messages sont effacés"),
        ("CRAMPE", "EFFACER", "fr", "Votre numéro et vos messages sont effacés"),
        ("KRAMPF", "Vergiss mich", "de", "Ihre Nummer und Ihre Nachrichten sind"),
        ("KRAMPF", "löschen", "de", "Ihre Nummer und Ihre Nachrichten sind"),
        ("CRAMP", "FORGET", "en", "Your number and your messages are erased"),
    ],
)
def test_forget_confirms_once_in_their_language_then_erases_the_number_everywhere(
    text: Any, fake_twilio: FakeTwilio, first: str, forget: str, language: str, confirmation: str
) -> None:
    text(first, sender=NUMBER)
    text("REMIND 9:00", sender=NUMBER)
    _an_old_admin_edit_names_the_number()

    confirmation_message = text(forget, sender=NUMBER)

    requests = fake_twilio.creates()
    assert requests[-1].params["To"] == NUMBER
    assert requests[-1].params["Body"].startswith(confirmation)
    assert confirmation_message is None or confirmation_message.topic_id is not None  # erased: no number left
    assert len(requests) == 3
    assert not Contact.objects.exists()
    dump = database_dump()
    for form in (NUMBER, NUMBER[1:], "0470123456", "470123456"):
        assert form not in dump
    assert is_suppressed(NUMBER)
    assert number_hmac(NUMBER) in dump and NUMBER not in number_hmac(NUMBER)
    # Counts survive, with no link to a person.
    assert Message.objects.count() == 6
    assert set(Message.objects.values_list("body", flat=True)) == {""}
    assert Message.objects.get(topic__slug=Topic.FORGOTTEN).language == language
    # Every message record at Twilio, sent and received, is deleted.
    sids = set(Message.objects.exclude(provider_sid=None).values_list("provider_sid", flat=True))
    deleted_paths = {r.path.rsplit("/", 1)[1].removesuffix(".json") for r in fake_twilio.deletes()}
    assert deleted_paths == sids
    assert len(fake_twilio.deleted) == 3  # the three we sent; received ones are Twilio's 404 here


@pytest.mark.parametrize(
    "body",
    ["FORGOT", "FORGETT", "forget about cramps", "Effacer les crampes ?", "Löschen Sie meine Krämpfe", "VERGEET"],
)
def test_forget_is_never_read_from_a_typo_or_a_sentence(text: Any, outbox: list[Any], body: str) -> None:
    text(body, sender=NUMBER)

    assert Contact.objects.filter(phone_number=NUMBER, sms_opted_out=False).exists()
    assert not Suppression.objects.exists()
    assert outbox and "erased" not in outbox[-1].body


def test_after_forget_nothing_is_sent_until_they_text_again(text: Any, outbox: list[Any], settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    text("REMIND 9:00", sender=NUMBER)
    text("FORGET", sender=NUMBER)
    sent = len(outbox)

    reminders_plan_due(now=timezone.now() + timedelta(days=1))

    assert len(outbox) == sent
    assert not Message.objects.filter(state=Message.State.PENDING).exists()

    reply = text("KRAMP", sender=NUMBER)

    assert reply is not None and reply.phone_number == NUMBER
    assert len(outbox) == sent + 1
    assert not is_suppressed(NUMBER)
    contact = Contact.objects.get(phone_number=NUMBER)
    assert not contact.sms_opted_out and plan(contact).reminder_times == []


def test_forget_while_opted_out_is_still_honoured(text: Any, outbox: list[Any]) -> None:
    text("STOP", sender=NUMBER)
    text("FORGET", sender=NUMBER)

    assert outbox[-1].body.startswith("Uw nummer en uw berichten zijn gewist")  # STOP from +32: Dutch first
    assert not Contact.objects.exists()


def test_a_failed_twilio_deletion_is_recorded_and_retried(text: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.failing_deletes = 1
    text("KRAMP", sender=NUMBER)
    text("FORGET", sender=NUMBER)

    assert len(fake_twilio.deletes()) == 4  # two sent, two received: the first one failed
    [waiting] = ProviderDeletion.objects.all()
    assert waiting.attempts == 1 and waiting.next_attempt_at > timezone.now()
    assert privacy.provider_deletions_run().deleted == 0  # not due yet

    tasks.twilio_delete.delay()  # what beat runs
    retried = privacy.provider_deletions_run(now=timezone.now() + timedelta(minutes=10))

    assert retried.deleted == 1 and retried.next_due_in is None
    assert len(fake_twilio.deletes()) == 5
    assert len(fake_twilio.deleted) == 2 and not ProviderDeletion.objects.exists()


def test_the_erasure_waits_for_the_confirmation(text: Any, settings: Any) -> None:
    text("KRAMP", sender=NUMBER)
    contact = Contact.objects.get()
    inbound = Message.objects.create(
        direction=Message.Direction.INBOUND, phone_number=NUMBER, body="FORGET", state=Message.State.HANDLED
    )
    Message.objects.create(
        direction=Message.Direction.OUTBOUND,
        phone_number=NUMBER,
        contact=contact,
        body="Your number ...",
        reply_to=inbound,
        state=Message.State.PENDING,
    )

    waiting = privacy.contact_erase_after_forget(inbound_id=inbound.pk)
    later = privacy.contact_erase_after_forget(inbound_id=inbound.pk, now=timezone.now() + timedelta(hours=3))

    assert not waiting.done
    assert later.done and not Contact.objects.exists()
    assert Message.objects.filter(state=Message.State.CANCELLED).count() == 1


def test_an_erasure_whose_task_was_lost_is_finished_by_the_retention_task(
    text: Any, clock: Any, monkeypatch: Any
) -> None:
    from privacy import tasks as privacy_tasks

    # The erasure's task is lost (a worker killed, Redis flushed) after it was queued.
    monkeypatch.setattr(privacy_tasks.forget_erase, "apply_async", lambda *args, **kwargs: None)
    text("KRAMP", sender=NUMBER)
    text("FORGET", sender=NUMBER)
    assert Contact.objects.get().sms_opt_out_source == Contact.OptOutSource.FORGET

    clock.advance(hours=1)
    assert privacy.retention_apply().contacts_erased == 0  # its confirmation may still be on its way
    clock.advance(hours=2)
    swept = privacy.retention_apply()

    assert swept.contacts_erased == 1 and not Contact.objects.exists()
    assert NUMBER not in database_dump()
    assert is_suppressed(NUMBER)


def test_retention_blanks_old_texts_in_batches_and_erases_inactive_contacts(
    text: Any, clock: Any, settings: Any
) -> None:
    settings.RETENTION_BATCH_SIZE = 2
    text("KRAMP", sender=NUMBER)
    text("REMIND 9:00", sender="+32470999888")
    clock.advance(days=91)
    text("MAGNESIUM", sender="+32470555666")

    first = privacy.retention_apply(max_batches=1)
    rest = privacy.retention_apply()

    assert (first.blanked, rest.blanked) == (2, 2)
    old = Message.objects.filter(created_at__lt=clock.now - timedelta(days=90))
    assert old.count() == 4 and set(old.values_list("body", flat=True)) == {""}
    assert Message.objects.exclude(body="").count() == 2  # the recent conversation is kept
    assert Contact.objects.count() == 3  # nobody inactive for two years yet

    clock.advance(days=731)
    erased = privacy.retention_apply()

    # Inactive and without reminders: erased; with reminders: kept.
    assert erased.contacts_erased == 2
    assert list(Contact.objects.values_list("phone_number", flat=True)) == ["+32470999888"]
    assert not Suppression.objects.exists()


def test_the_export_holds_the_contact_its_history_and_every_text(text: Any) -> None:
    text("KRAMP", sender=NUMBER)
    text("REMIND 9:00", sender=NUMBER)
    text("STOP", sender=NUMBER)

    exported = privacy.contact_export(contact=Contact.objects.get())

    assert exported["contact"]["phone_number"] == NUMBER
    assert exported["contact"]["opted_out"] is True and exported["contact"]["opt_out_source"] == "keyword"
    assert exported["contact"]["reminder_times"] == ["09:00"]
    assert [m["text"] for m in exported["messages"] if m["direction"] == "in"] == ["KRAMP", "REMIND 9:00", "STOP"]
    assert len(exported["messages"]) == 6
    assert "received: KRAMP" in exported["summary"] and NUMBER in exported["summary"]
    json.dumps(exported)  # JSON as it is


@pytest.fixture
def operator(client: Any) -> Any:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("operator", "operator@example.org", "pw"))
    return client


def test_the_admin_exports_a_contact_and_logs_it_without_the_number(text: Any, operator: Any) -> None:
    from django.contrib.admin.models import LogEntry

    text("KRAMP", sender=NUMBER)
    contact = Contact.objects.get()

    page = operator.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode()
    response = operator.get(f"/admin/contacts/contact/{contact.pk}/export/")

    assert "Export everything (JSON)" in page and "Erase (as FORGET)" in page
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert exported["contact"]["phone_number"] == NUMBER and len(exported["messages"]) == 2
    entry = LogEntry.objects.get()
    assert entry.user.username == "operator" and "exported" in entry.change_message
    assert NUMBER[4:] not in entry.object_repr + entry.change_message


def test_the_admin_erases_a_contact_as_forget_does(text: Any, operator: Any, fake_twilio: FakeTwilio) -> None:
    from django.contrib.admin.models import LogEntry

    text("KRAMP", sender=NUMBER)
    contact = Contact.objects.get()

    confirm = operator.get(f"/admin/contacts/contact/{contact.pk}/erase/")
    with_callbacks = operator.post(f"/admin/contacts/contact/{contact.pk}/erase/")

    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert with_callbacks.status_code == 302
    assert not Contact.objects.exists() and is_suppressed(NUMBER)
    assert NUMBER not in database_dump() and NUMBER[4:] not in database_dump()
    assert "erased" in LogEntry.objects.get().change_message
    # Adding the number back by hand is refused until it texts again.
    added = operator.post("/admin/contacts/contact/add/", {"phone_number": NUMBER, "times": "", "time_zone": ""})
    assert added.status_code == 200 and "erased on request" in added.content.decode()


def test_content_editors_can_neither_export_nor_erase(text: Any, client: Any) -> None:
    from django.contrib.auth.models import Permission, User

    text("KRAMP", sender=NUMBER)
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    for codename in ("view_contact", "delete_contact"):
        editor.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(editor)
    pk = Contact.objects.get().pk

    assert client.get(f"/admin/contacts/contact/{pk}/export/").status_code == 403
    assert client.post(f"/admin/contacts/contact/{pk}/erase/").status_code == 403
    assert Contact.objects.exists()


def test_erasure_deletes_a_calls_record_through_twilios_calls_api(fake_twilio: FakeTwilio) -> None:
    contact = Contact.objects.create(phone_number=NUMBER)
    call_sid = "CA" + "7" * 32
    Message.objects.create(
        direction="in", channel="voice", contact=contact, phone_number=NUMBER, provider_sid=call_sid, state="handled"
    )

    privacy.contact_erase(contact=contact)
    privacy.provider_deletions_run()

    paths = [r.path for r in fake_twilio.deletes()]
    assert paths == [f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Calls/{call_sid}.json"]
    assert not ProviderDeletion.objects.exists()  # Twilio's 404 for a call it no longer has counts as deleted
