"""The admin: every word editable, sizes shown, half-filled forms answered with errors, the log read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from advice.models import Keyword, Topic, TopicTranslation
from contacts.models import Contact
from messaging.models import Message
from tests.support.people import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    user = User.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def test_the_topic_page_shows_every_translation_with_its_size(staff: Client) -> None:
    topic = Topic.objects.get(slug="doctor-exam")
    response = staff.get(f"/admin/advice/topic/{topic.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "GSM-7, 232 characters, 2 segments" in page
    assert "UCS-2" in page and "ï" in page  # French "thyroïdienne" costs UCS-2, and the page says why


def test_the_topic_list_flags_missing_translations(staff: Client) -> None:
    TopicTranslation.objects.filter(topic__slug="magnesium", language="fr").delete()

    page = staff.get("/admin/advice/topic/").content.decode()

    assert '<strong style="color:#ba2121">fr</strong>' in page


def test_a_missing_translation_is_offered_as_a_form_for_its_language(staff: Client) -> None:
    TopicTranslation.objects.filter(topic__slug="magnesium", language="de").delete()
    topic = Topic.objects.get(slug="magnesium")

    page = staff.get(f"/admin/advice/topic/{topic.pk}/change/").content.decode()

    assert 'name="translations-3-language"' in page
    assert '<option value="de" selected>' in page


def test_a_published_text_is_sent_without_costly_punctuation(staff: Client, text: Any, outbox: list[Any]) -> None:
    # Published directly here; the admin's way there (draft, approval) is in test_governance.py.
    translation = TopicTranslation.objects.get(topic__slug="cramp", language="en")
    translation.sms_text = "Cramp?\u00a0Stretch the muscle \u2013 gently."
    translation.save()

    text("CRAMP", sender="+447700900123")

    # GSM-7: no NBSP, no en dash (then the storage line: the number's first reply)
    assert outbox[0].body.splitlines()[0] == "Cramp? Stretch the muscle - gently."


def test_a_half_filled_keyword_form_gets_errors_not_a_500(staff: Client) -> None:
    response = staff.post("/admin/advice/keyword/add/", {"word": "KRAMPJE", "action": "topic"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page  # language
    assert not Keyword.objects.filter(word="KRAMPJE").exists()


def test_a_topic_keyword_without_a_topic_is_refused(staff: Client) -> None:
    response = staff.post("/admin/advice/keyword/add/", {"word": "KRAMPJE", "language": "nl", "action": "topic"})

    assert response.status_code == 200
    assert "Choose the topic this keyword replies with." in response.content.decode()


def test_a_keyword_cannot_reply_with_a_service_message(staff: Client, text: Any, outbox: list[Any]) -> None:
    quiet = Topic.objects.get(slug=Topic.REMINDERS_QUIET)  # "... between {start} and {end} ..."
    response = staff.post(
        "/admin/advice/keyword/add/", {"word": "CRAMPON", "language": "fr", "action": "topic", "topic": quiet.pk}
    )

    assert response.status_code == 200
    assert not Keyword.objects.filter(word="CRAMPON").exists()
    # One saved before the admin refused it is ignored: the person gets the menu, never braces.
    Keyword.objects.create(word="CRAMPON", language_id="fr", action="topic", topic=quiet)
    reply = text("CRAMPON")
    assert reply is not None and reply.topic.slug == Topic.MENU
    assert "{" not in outbox[0].body


def test_a_text_with_a_placeholder_it_cannot_fill_is_never_sent(text: Any, outbox: list[Any], caplog: Any) -> None:
    TopicTranslation.objects.filter(topic__slug="cramp", language_id="en").update(sms_text="Cramp? Rest until {end}.")

    reply = text("CRAMP")

    assert reply is not None and reply.topic.slug == Topic.MENU
    assert "{end}" not in outbox[0].body
    assert "unfilled" in caplog.text


def test_a_duplicate_keyword_is_refused_whatever_its_accents(staff: Client) -> None:
    response = staff.post("/admin/advice/keyword/add/", {"word": "Arret", "language": "fr", "action": "stop"})

    assert "This language already has this keyword" in response.content.decode()


def test_a_keyword_of_only_punctuation_is_refused(staff: Client) -> None:
    response = staff.post("/admin/advice/keyword/add/", {"word": "!!!", "language": "fr", "action": "menu"})

    assert "at least one letter or digit" in response.content.decode()


def test_an_sms_text_longer_than_twilio_allows_is_refused(staff: Client) -> None:
    topic = Topic.objects.get(slug="magnesium")
    page = staff.get(f"/admin/advice/topic/{topic.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    formset = page.context["inline_admin_formsets"][0].formset
    data.update({f"translations-{k}": v for k, v in {"TOTAL_FORMS": 4, "INITIAL_FORMS": 4}.items()})
    for i, f in enumerate(formset.forms):
        data[f"translations-{i}-id"] = f.instance.pk
        data[f"translations-{i}-topic"] = topic.pk
        data[f"translations-{i}-language"] = f.instance.language_id
        data[f"translations-{i}-sms_text"] = "x" * 1601 if i == 0 else f.instance.sms_text
    data.update({"keywords-TOTAL_FORMS": 0, "keywords-INITIAL_FORMS": 0})

    response = staff.post(f"/admin/advice/topic/{topic.pk}/change/", data)

    assert response.status_code == 200
    assert "at most 1600 characters" in response.content.decode()


def test_a_service_message_cannot_be_deleted(staff: Client) -> None:
    topic = Topic.objects.get(slug="menu")

    assert staff.get(f"/admin/advice/topic/{topic.pk}/delete/").status_code == 403


def test_contacts_are_found_by_their_number_as_people_write_it(staff: Client) -> None:
    make_contact(phone_number="+32470123456")
    make_contact(phone_number="+32470999999")

    page = staff.get("/admin/contacts/contact/", {"q": "0470 12 34 56"}).content.decode()

    assert "+32470123456" in page
    assert "+32470999999" not in page


def test_contacts_filter_by_language_and_state(staff: Client) -> None:
    make_contact(phone_number="+32470000001", language_id="nl", sms_opted_out=True)
    make_contact(phone_number="+32470000002", language_id="fr")

    page = staff.get("/admin/contacts/contact/", {"state": "opted-out", "language__code__exact": "nl"})

    assert page.status_code == 200
    assert "+32470000001" in page.content.decode()
    assert "+32470000002" not in page.content.decode()


def test_an_admin_cannot_save_a_number_that_cannot_receive_sms(staff: Client) -> None:
    response = staff.post("/admin/contacts/contact/add/", {"phone_number": "INFO"})

    assert response.status_code == 200
    assert "is not a phone number that can receive SMS" in response.content.decode()


def test_an_admin_saves_a_national_number_in_e164(staff: Client) -> None:
    staff.post("/admin/contacts/contact/add/", {"phone_number": "0470 12 34 56", "language": "nl"})

    assert Contact.objects.get().phone_number == "+32470123456"


def test_the_message_log_is_read_only(staff: Client, text: Any) -> None:
    reply = text("KRAMP")

    assert staff.get("/admin/messaging/message/").status_code == 200
    assert staff.get(f"/admin/messaging/message/{reply.pk}/change/").status_code == 200
    assert staff.get("/admin/messaging/message/add/").status_code == 403
    assert staff.post(f"/admin/messaging/message/{reply.pk}/change/", {"body": "edited"}).status_code == 403
    reply.refresh_from_db()
    assert reply.body.startswith("Kramp")
    assert Message.objects.count() == 2


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_admin_speaks_belgiums_languages(staff: Client, language: str) -> None:
    page = staff.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert {"nl": "Onderwerpen", "fr": "Sujets", "de": "Themen"}[language] in page


def test_an_admin_opting_a_number_out_is_recorded_with_when_and_who(staff: Client) -> None:
    contact = make_contact(phone_number="+32470123456")
    staff.post(f"/admin/contacts/contact/{contact.pk}/change/", {"phone_number": "+32470123456", "sms_opted_out": "on"})

    contact.refresh_from_db()
    assert contact.sms_opted_out
    assert contact.sms_opted_out_at is not None
    assert contact.sms_opt_out_source == Contact.OptOutSource.ADMIN


def test_an_admin_lets_an_undeliverable_number_be_tried_again(staff: Client) -> None:
    from django.utils import timezone

    contact = make_contact(
        phone_number="+32470123456", sms_undeliverable_at=timezone.now(), sms_undeliverable_reason="Twilio error 21614"
    )
    staff.post("/admin/contacts/contact/", {"action": "mark_deliverable", "_selected_action": [contact.pk]})

    contact.refresh_from_db()
    assert contact.sms_undeliverable_at is None
