"""The admin for reminders: subscribe people, edit times and zones, see next and past
reminders; start an advisory and watch its progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from advice.models import Topic
from contacts.models import Contact
from messaging import bulk
from messaging.models import Message
from messaging.tasks import start_senders
from reminders.models import Broadcast, ReminderPlan
from reminders.scheduler import reminders_plan_due
from tests.support.people import make_contact, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("editor", "editor@example.org", "pw"))
    return client


def add(staff: Client, **fields: str) -> Any:
    data = {"phone_number": "0470 12 34 56", "language": "nl", "times": "", "time_zone": "", **fields}
    return staff.post("/admin/contacts/contact/add/", data)


def test_an_admin_subscribes_a_person_with_times(staff: Client) -> None:
    response = add(staff, times="8:30 12u 17h")

    assert response.status_code == 302
    person = Contact.objects.get()
    assert person.phone_number == "+32470123456"
    assert plan(person).reminder_times == ["08:30", "12:00", "17:00"]
    assert person.time_zone == "Europe/Brussels"
    assert plan(person).next_reminder_at is not None


def test_times_in_the_quiet_hours_and_nonsense_are_form_errors_not_500s(staff: Client) -> None:
    quiet = add(staff, times="7 22")
    nonsense = add(staff, times="25:99")
    too_many = add(staff, times="8 9 10 11 12 13 14")
    zone = add(staff, times="9", time_zone="Mars/Olympus")

    assert quiet.status_code == nonsense.status_code == too_many.status_code == zone.status_code == 200
    assert "07:00, 22:00 is inside the quiet hours (21:00 to 08:00)" in quiet.content.decode()
    assert "25:99 is not a time of day" in nonsense.content.decode()
    assert "At most 6 times a day." in too_many.content.decode()
    assert "Mars/Olympus is not a time zone" in zone.content.decode()
    assert not Contact.objects.exists()


def test_editing_times_and_zone_moves_the_next_reminder(staff: Client) -> None:
    add(staff, times="9")
    person = Contact.objects.get()
    response = staff.post(
        f"/admin/contacts/contact/{person.pk}/change/",
        {"phone_number": person.phone_number, "language": "en", "times": "10:15", "time_zone": "America/New_York"},
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert plan(person).reminder_times == ["10:15"]
    assert plan(person).next_reminder_slot.endswith("T10:15")
    from zoneinfo import ZoneInfo

    assert plan(person).next_reminder_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "10:15"


def test_clearing_the_times_ends_reminders(staff: Client) -> None:
    add(staff, times="9")
    person = Contact.objects.get()
    staff.post(
        f"/admin/contacts/contact/{person.pk}/change/",
        {"phone_number": person.phone_number, "language": "nl", "times": "", "time_zone": "Europe/Brussels"},
    )

    person.refresh_from_db()
    assert plan(person).reminder_times == []
    assert plan(person).next_reminder_at is None


def test_setting_times_in_the_admin_unpauses_and_reschedules_as_remind_by_sms_does(staff: Client, text: Any) -> None:
    text("HERINNER 9:00")
    text("PAUZE")
    person = Contact.objects.get()
    assert plan(person).is_paused() and plan(person).next_reminder_at is None

    staff.post(
        f"/admin/contacts/contact/{person.pk}/change/",
        {"phone_number": person.phone_number, "language": "nl", "times": "10:00", "time_zone": "Europe/Brussels"},
    )

    by_admin = plan(person)
    assert by_admin.reminder_times == ["10:00"]
    assert not by_admin.is_paused() and by_admin.next_reminder_slot.endswith("T10:00")
    text("HERINNER 10:00")  # the same request by SMS leaves the plan exactly as the admin did
    by_sms = plan(person)
    assert (by_sms.reminder_times, by_sms.paused_at, by_sms.next_reminder_at, by_sms.reminders_since) == (
        by_admin.reminder_times,
        by_admin.paused_at,
        by_admin.next_reminder_at,
        by_admin.reminders_since,
    )


def test_opting_out_in_the_admin_is_stop_by_sms_with_the_admin_as_source(staff: Client) -> None:
    add(staff, times="9")
    person = Contact.objects.get()
    form = {"phone_number": person.phone_number, "language": "nl", "times": "09:00", "time_zone": "Europe/Brussels"}

    staff.post(f"/admin/contacts/contact/{person.pk}/change/", {**form, "sms_opted_out": "on"})

    person.refresh_from_db()
    assert (person.sms_opted_out, person.sms_opt_out_source) == (True, "admin")
    assert person.sms_opted_out_at is not None
    assert plan(person).next_reminder_at is None  # as after STOP: nothing is planned
    assert not person.calls_opted_out

    staff.post(f"/admin/contacts/contact/{person.pk}/change/", form)

    person.refresh_from_db()
    assert not person.sms_opted_out and person.sms_opted_in_at is not None
    assert plan(person).next_reminder_at is not None  # as after START: the chosen times apply again


def test_the_contact_page_shows_next_and_past_reminders(staff: Client, settings: Any) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    add(staff, times="9")
    person = Contact.objects.get()
    ReminderPlan.objects.filter(pk=person.pk).update(
        next_reminder_at=timezone.now(), next_reminder_slot="2026-11-24T09:00"
    )
    reminders_plan_due()
    bulk.bulk_send_batch()

    page = staff.get(f"/admin/contacts/contact/{person.pk}/change/").content.decode()
    listing = staff.get("/admin/contacts/contact/?state=reminders").content.decode()

    assert "2026-11-24 09:00" in page  # the past occurrence
    assert "Herinnering: u kunt beenkrampen voorkomen" in page
    person.refresh_from_db()
    assert "(Europe/Brussels)" in page
    assert person.phone_number in listing


def test_pause_and_resume_actions(staff: Client) -> None:
    add(staff, times="9")
    person = Contact.objects.get()
    staff.post("/admin/contacts/contact/", {"action": "pause_reminders", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert plan(person).is_paused() and plan(person).next_reminder_at is None

    staff.post("/admin/contacts/contact/", {"action": "resume_reminders", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert not plan(person).is_paused() and plan(person).next_reminder_at is not None


def active(number: str, language: str = "nl", **fields: Any) -> Contact:
    person = make_contact(
        phone_number=number, language_id=language, reminder_times=["09:00"], time_zone="Europe/Brussels", **fields
    )
    from reminders import services

    services.plan_reschedule(plan(person))
    return person


def test_an_advisory_goes_once_to_everyone_with_reminders_on_in_their_language(
    staff: Client, outbox: list[Any], settings: Any, django_capture_on_commit_callbacks: Any, shared_redis: str
) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    active("+32470000001", "nl")
    active("+32470000002", "fr")
    active("+32470000003", "de", sms_opted_out=True)
    active("+32470000004", "en", paused_at=timezone.now())
    make_contact(phone_number="+32470000005", language_id="en")  # never asked for reminders
    heat = Topic.objects.get(slug="heat")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/admin/reminders/broadcast/add/", {"topic": heat.pk, "_confirm": "1"})
    assert response.status_code == 302
    start_senders()  # beat's task: the advisory's rows are sent by the bulk senders it starts
    again = staff.post("/admin/reminders/broadcast/add/", {"topic": heat.pk})

    assert sorted(m.to for m in outbox) == ["+32470000001", "+32470000002"]
    bodies = {m.to: m.body for m in outbox}
    assert "Zware inspanning en zeer hoge temperaturen? Doe best zout en suiker" in bodies["+32470000001"]
    assert "VERGEET MIJ" not in bodies["+32470000001"]  # an advisory never carries the storage line
    assert "En cas d'efforts intenses et de températures très élevées" in bodies["+32470000002"]
    assert again.status_code == 200 and "already sent as an advisory" in again.content.decode()
    local = timezone.localtime(Broadcast.objects.get().created_at).strftime("%Y-%m-%d %H:%M")
    assert f"already sent as an advisory at {local}" in again.content.decode()  # Brussels time, as the lists
    broadcast = Broadcast.objects.get()
    page = staff.get(f"/admin/reminders/broadcast/{broadcast.pk}/change/").content.decode()
    assert "2 / 2 / 0" in page
    assert Message.objects.filter(broadcast=broadcast).count() == 2


def test_an_advisory_waits_for_the_end_of_someone_s_quiet_hours(
    staff: Client, outbox: list[Any], settings: Any, django_capture_on_commit_callbacks: Any, shared_redis: str
) -> None:
    from zoneinfo import ZoneInfo

    now = timezone.now().astimezone(ZoneInfo("Europe/Brussels"))
    settings.REMINDER_QUIET_HOURS = f"{(now.hour - 1) % 24:02d}:00-{(now.hour + 2) % 24:02d}:00"
    active("+32470000001", "nl")

    with django_capture_on_commit_callbacks(execute=True):
        staff.post("/admin/reminders/broadcast/add/", {"topic": Topic.objects.get(slug="heat").pk, "_confirm": "1"})
    start_senders()

    assert outbox == []
    [message] = Message.objects.filter(purpose=Message.Purpose.ADVISORY)
    assert message.state == Message.State.PENDING
    assert message.note == "held until the quiet hours end"
    assert message.next_attempt_at.astimezone(ZoneInfo("Europe/Brussels")).hour == (now.hour + 2) % 24
    page = staff.get("/admin/reminders/broadcast/").content.decode()
    assert 'http-equiv="refresh"' in page  # the list refreshes itself while it runs


def test_an_advisory_shows_its_text_per_language_and_who_gets_it_before_it_is_sent(
    staff: Client, outbox: list[Any], settings: Any
) -> None:
    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    active("+32470000001", "nl")
    active("+32470000002", "nl")
    active("+32470000003", "fr")
    active("+32470000004", "de", sms_opted_out=True)
    active("+32470000005", "en", paused_at=timezone.now())
    make_contact(phone_number="+32470000006", language_id="en")  # never asked for reminders
    heat = Topic.objects.get(slug="heat")

    response = staff.post("/admin/reminders/broadcast/add/", {"topic": heat.pk})

    assert response.status_code == 200
    assert not Broadcast.objects.exists() and outbox == []  # nothing sent yet
    preview = response.context["preview"]
    assert (preview.by_sms, preview.by_call, preview.without_text) == (3, 0, 0)
    rows = {row.language: (row.by_sms, row.by_call, row.text_language) for row in preview.languages}
    assert rows == {"nl": (2, 0, "nl"), "fr": (1, 0, "fr"), "de": (0, 0, "de"), "en": (0, 0, "en")}
    page = response.content.decode()
    assert "By SMS: 3 people." in page and "By call: 0 people." in page
    assert "Zware inspanning en zeer hoge temperaturen?" in page
    assert "Send to 3 people" in page and 'name="_confirm"' in page


def test_a_service_message_cannot_be_an_advisory(staff: Client) -> None:
    menu = Topic.objects.get(slug="menu")
    response = staff.post("/admin/reminders/broadcast/add/", {"topic": menu.pk})

    assert response.status_code == 200
    assert not Broadcast.objects.exists()


def test_an_admin_sets_reminder_calls_and_back(staff: Client) -> None:
    add(staff, times="9", reminder_channel="voice")
    person = Contact.objects.get()
    assert plan(person).channel == "voice"

    response = staff.post(
        f"/admin/contacts/contact/{person.pk}/change/",
        {
            "phone_number": person.phone_number,
            "language": "nl",
            "times": "09:00",
            "time_zone": "Europe/Brussels",
            "reminder_channel": "sms",
        },
    )

    assert response.status_code == 302
    assert plan(person).channel == "sms" and plan(person).reminder_times == ["09:00"]
    page = staff.get(f"/admin/contacts/contact/{person.pk}/change/").content.decode()
    assert '<option value="sms" selected>text messages</option>' in page


def test_a_contacts_page_shows_each_call_with_its_attempts_and_codes(staff: Client) -> None:
    person = make_contact(phone_number="+32470123456", reminder_times=["09:00"], channel="voice")
    Message.objects.create(
        direction="out",
        channel="voice",
        purpose="reminder",
        contact=person,
        phone_number=person.phone_number,
        state="failed",
        slot="2026-06-10T09:00",
        note="busy after 3 attempt(s); sent as a text instead",
        params={
            "attempts": [
                {"n": 1, "status": "busy"},
                {"n": 2, "status": "failed", "error_code": 31005},
                {"n": 3, "status": "completed", "answered_by": "machine_end_beep"},
            ]
        },
    )

    page = staff.get(f"/admin/contacts/contact/{person.pk}/change/").content.decode()

    assert "1 busy; 2 failed [31005]; 3 completed (machine_end_beep)" in page
    assert "busy after 3 attempt(s); sent as a text instead" in page


def test_the_admin_warns_when_calls_due_in_one_minute_exceed_what_the_limit_places_in_the_grace(
    staff: Client, settings: Any
) -> None:
    settings.VOICE_CALLS_PER_SECOND = 1.0
    settings.VOICE_GRACE_MINUTES = 1.0  # 60 calls within the grace
    at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    for index in range(61):
        make_contact(
            phone_number=f"+3247000{index:04d}", reminder_times=["09:00"], channel="voice", next_reminder_at=at
        )

    page = staff.get("/admin/contacts/contact/").content.decode()

    assert "61 reminder calls are due in the same minute" in page
    assert "more than the 60 that VOICE_CALLS_PER_SECOND can place" in page
