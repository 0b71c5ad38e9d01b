"""The move of the contact out of `reminders` (contacts/0001-0004, messaging/0008, reminders/0004-0006)
on a database populated before it: every row, field, link and constraint arrives, and back again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from contacts.models import Contact, Suppression
from messaging.models import Message
from reminders.models import Broadcast, ReminderPlan

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("contacts", None), ("reminders", "0003_suppression"), ("messaging", "0007_preview_purpose")]
AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)


def migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [(app, name) for app, name in targets if name is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def latest() -> list[tuple[str, str | None]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def populate(apps: Any) -> dict[str, int]:
    """Subscribers as the old schema held them: with and without times, paused, opted out, undeliverable."""
    Subscriber = apps.get_model("reminders", "Subscriber")
    OldMessage = apps.get_model("messaging", "Message")
    OldBroadcast = apps.get_model("reminders", "Broadcast")
    OldSuppression = apps.get_model("reminders", "Suppression")
    Topic = apps.get_model("advice", "Topic")
    topic = Topic.objects.filter(kind="reminder").order_by("pk").first()
    heat = Topic.objects.get(slug="heat")
    with_times = Subscriber.objects.create(
        phone_number="+32470000001",
        language_id="nl",
        reminder_times=["09:00", "17:00"],
        time_zone="Europe/Brussels",
        reminders_since=AT,
        next_reminder_at=LATER,
        next_reminder_slot="2026-06-12T09:00",
        last_reminder_topic=topic,
    )
    without = Subscriber.objects.create(phone_number="+32470000002", language_id="fr")
    paused = Subscriber.objects.create(
        phone_number="+32470000003", reminder_times=["08:00"], paused_at=AT, paused_until=LATER
    )
    paused_no_times = Subscriber.objects.create(phone_number="+32470000004", paused_at=AT)
    opted_out = Subscriber.objects.create(
        phone_number="+32470000005", is_opted_out=True, opted_out_at=AT, opt_out_source="keyword", opted_in_at=None
    )
    forgotten = Subscriber.objects.create(
        phone_number="+32470000006", is_opted_out=True, opted_out_at=AT, opt_out_source="forget"
    )
    undeliverable = Subscriber.objects.create(
        phone_number="+3225550199", undeliverable_at=AT, undeliverable_reason="Twilio error 21614: not a mobile"
    )
    broadcast = OldBroadcast.objects.create(topic=heat, state="sending", total=1, planned_up_to=with_times.pk)
    inbound = OldMessage.objects.create(
        direction="in", phone_number=with_times.phone_number, state="handled", body="KRAMP", subscriber=with_times
    )
    reminder = OldMessage.objects.create(
        direction="out",
        purpose="reminder",
        phone_number=with_times.phone_number,
        state="submitted",
        subscriber=with_times,
        slot="2026-06-11T09:00",
    )
    advisory = OldMessage.objects.create(
        direction="out",
        purpose="advisory",
        phone_number=with_times.phone_number,
        state="pending",
        subscriber=with_times,
        broadcast=broadcast,
    )
    OldSuppression.objects.create(number_hmac="a" * 64)
    return {
        "with_times": with_times.pk,
        "without": without.pk,
        "paused": paused.pk,
        "paused_no_times": paused_no_times.pk,
        "opted_out": opted_out.pk,
        "forgotten": forgotten.pk,
        "undeliverable": undeliverable.pk,
        "broadcast": broadcast.pk,
        "inbound": inbound.pk,
        "reminder": reminder.pk,
        "advisory": advisory.pk,
        "topic": topic.pk if topic else 0,
    }


def test_every_subscriber_arrives_as_a_contact_with_their_plan_messages_and_suppression() -> None:
    try:
        ids = populate(migrate(BEFORE))
        subscriber_type = ContentType.objects.get(app_label="reminders", model="subscriber").pk

        migrate(latest())

        assert Contact.objects.count() == 7
        person = Contact.objects.get(pk=ids["with_times"])
        assert (person.phone_number, person.language_id, person.time_zone) == ("+32470000001", "nl", "Europe/Brussels")
        assert person.can_receive("sms") and person.can_receive("voice")
        plan = ReminderPlan.objects.get(contact=person)
        assert plan.reminder_times == ["09:00", "17:00"]
        assert (plan.reminders_since, plan.next_reminder_at, plan.next_reminder_slot) == (
            AT,
            LATER,
            "2026-06-12T09:00",
        )
        assert plan.last_reminder_topic_id == (ids["topic"] or None)
        # Only people with reminders or a pause get a plan.
        assert set(ReminderPlan.objects.values_list("pk", flat=True)) == {
            ids["with_times"],
            ids["paused"],
            ids["paused_no_times"],
        }
        paused = ReminderPlan.objects.get(pk=ids["paused"])
        assert (paused.reminder_times, paused.paused_at, paused.paused_until) == (["08:00"], AT, LATER)
        assert ReminderPlan.objects.get(pk=ids["paused_no_times"]).paused_at == AT

        opted_out = Contact.objects.get(pk=ids["opted_out"])
        assert (opted_out.sms_opted_out, opted_out.sms_opted_out_at, opted_out.sms_opt_out_source) == (
            True,
            AT,
            "keyword",
        )
        assert not opted_out.calls_opted_out  # a STOP by SMS says nothing about calls
        forgotten = Contact.objects.get(pk=ids["forgotten"])
        assert forgotten.calls_opted_out and forgotten.calls_opt_out_source == "forget"  # FORGET covers every channel
        landline = Contact.objects.get(pk=ids["undeliverable"])
        assert landline.sms_undeliverable_at == AT
        assert landline.sms_undeliverable_reason == "Twilio error 21614: not a mobile"
        assert not landline.can_receive("sms") and landline.can_receive("voice")  # a call can reach a landline

        assert set(Message.objects.values_list("pk", "contact_id")) == {
            (ids["inbound"], ids["with_times"]),
            (ids["reminder"], ids["with_times"]),
            (ids["advisory"], ids["with_times"]),
        }
        assert Message.objects.get(pk=ids["advisory"]).broadcast == Broadcast.objects.get(pk=ids["broadcast"])
        assert list(Suppression.objects.values_list("number_hmac", flat=True)) == ["a" * 64]
        # The content type moved, with the admin's history and the operators' permissions.
        assert ContentType.objects.get_for_model(Contact).pk == subscriber_type
        assert Group.objects.get(name="operators").permissions.filter(codename="view_contact").exists()

        # The constraints that named the subscriber now name the contact.
        with pytest.raises(IntegrityError), transaction.atomic():
            Message.objects.create(
                direction="out", purpose="reminder", state="pending", contact=person, slot="2026-06-11T09:00"
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            Message.objects.create(
                direction="out", purpose="advisory", state="pending", contact=person, broadcast_id=ids["broadcast"]
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            Contact.objects.create(phone_number="+32470000001")

        apps = migrate(BEFORE)  # and back: the plan's columns filled again from the plan

        Subscriber = apps.get_model("reminders", "Subscriber")
        back = Subscriber.objects.get(pk=ids["with_times"])
        assert (back.reminder_times, back.next_reminder_slot, back.is_opted_out) == (
            ["09:00", "17:00"],
            "2026-06-12T09:00",
            False,
        )
        assert Subscriber.objects.get(pk=ids["paused"]).paused_until == LATER
        assert Subscriber.objects.get(pk=ids["opted_out"]).opt_out_source == "keyword"
        assert apps.get_model("messaging", "Message").objects.get(pk=ids["reminder"]).subscriber_id == ids["with_times"]
    finally:
        migrate(latest())
