"""The reminder schedule gets its own table, one row per contact who chose reminders (or paused).

One INSERT ... SELECT copies it from the contact table (no loop over rows: a million contacts
take one statement); contacts/0003 then drops those columns from the contact. Backwards, one
UPDATE copies it back.
"""

import django.db.models.deletion
from django.db import migrations, models

PLAN_COLUMNS = [
    "reminder_times",
    "reminders_since",
    "paused_at",
    "paused_until",
    "next_reminder_at",
    "next_reminder_slot",
    "last_reminder_topic_id",
]


def copy_plans(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in PLAN_COLUMNS)
    # An empty list: '[]' as text on SQLite, a jsonb value on PostgreSQL.
    empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
    schema_editor.execute(
        f"INSERT INTO reminders_reminderplan (contact_id, {columns})"  # noqa: S608 (names from this file)
        f" SELECT id, {columns} FROM contacts_contact"
        f" WHERE (reminder_times IS NOT NULL AND reminder_times <> {empty}) OR paused_at IS NOT NULL"
    )


def copy_plans_back(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    assignments = ", ".join(
        f"{quote(column)} = (SELECT p.{quote(column)} FROM reminders_reminderplan p"  # noqa: S608
        f" WHERE p.contact_id = contacts_contact.id)"
        for column in PLAN_COLUMNS
    )
    schema_editor.execute(
        f"UPDATE contacts_contact SET {assignments}"  # noqa: S608 (names from this file)
        " WHERE id IN (SELECT contact_id FROM reminders_reminderplan)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("advice", "0003_reminder_kinds"),
        ("contacts", "0002_contact_per_channel"),
        ("reminders", "0004_contact_moved_to_contacts"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReminderPlan",
            fields=[
                (
                    "contact",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reminder_plan",
                        serialize=False,
                        to="contacts.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "reminder_times",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Local times of day, such as 08:00.",
                        verbose_name="reminder times",
                    ),
                ),
                ("reminders_since", models.DateTimeField(blank=True, null=True, verbose_name="reminders since")),
                ("paused_at", models.DateTimeField(blank=True, null=True, verbose_name="paused at")),
                (
                    "paused_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="Empty while paused: until the person resumes.",
                        null=True,
                        verbose_name="paused until",
                    ),
                ),
                ("next_reminder_at", models.DateTimeField(blank=True, null=True, verbose_name="next reminder")),
                (
                    "next_reminder_slot",
                    models.CharField(blank=True, max_length=16, verbose_name="next reminder (local time)"),
                ),
                (
                    "last_reminder_topic",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="advice.topic",
                        verbose_name="last reminder text",
                    ),
                ),
            ],
            options={
                "verbose_name": "reminder plan",
                "verbose_name_plural": "reminder plans",
                "indexes": [
                    models.Index(
                        condition=models.Q(("next_reminder_at__isnull", False)),
                        fields=["next_reminder_at"],
                        name="reminder_plan_due_idx",
                    )
                ],
            },
        ),
        migrations.RunPython(copy_plans, copy_plans_back),
    ]
