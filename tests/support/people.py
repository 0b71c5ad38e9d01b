"""Contacts for tests: one call makes a contact and, given any reminder field, their reminder plan."""

from __future__ import annotations

from typing import Any

from contacts.models import Contact
from reminders.models import ReminderPlan

PLAN_FIELDS = {
    "reminder_times",
    "channel",
    "reminders_since",
    "paused_at",
    "paused_until",
    "next_reminder_at",
    "next_reminder_slot",
    "last_reminder_topic",
    "last_reminder_topic_id",
}


def split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(contact fields, plan fields)"""
    contact = {name: value for name, value in fields.items() if name not in PLAN_FIELDS}
    plan = {name: value for name, value in fields.items() if name in PLAN_FIELDS}
    return contact, plan


def make_contact(**fields: Any) -> Contact:
    """Contact.objects.create(...), with a reminder plan when reminder fields are given."""
    contact_fields, plan_fields = split(fields)
    contact = Contact.objects.create(**contact_fields)
    if plan_fields:
        ReminderPlan.objects.create(contact=contact, **plan_fields)
    return contact


def make_contacts(rows: list[dict[str, Any]]) -> list[Contact]:
    """Contact.objects.bulk_create(...), with their plans: for tests that make many."""
    contacts = Contact.objects.bulk_create([Contact(**split(row)[0]) for row in rows])
    ReminderPlan.objects.bulk_create(
        [
            ReminderPlan(contact=contact, **split(row)[1])
            for contact, row in zip(contacts, rows, strict=True)
            if split(row)[1]
        ]
    )
    return contacts


def plan(contact: Contact | int) -> ReminderPlan:
    """The contact's reminder plan as stored now; an empty, unsaved one if they have none."""
    pk = contact if isinstance(contact, int) else contact.pk
    return ReminderPlan.objects.filter(pk=pk).first() or ReminderPlan(contact_id=pk)


def plan_or_none(contact: Contact | int) -> ReminderPlan | None:
    return ReminderPlan.objects.filter(pk=contact if isinstance(contact, int) else contact.pk).first()
