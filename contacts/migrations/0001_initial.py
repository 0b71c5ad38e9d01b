"""The contact moves from `reminders` (Subscriber) to `contacts` (Contact), keeping its rows.

State only: this describes the table as it is (reminders_subscriber, its columns as they
are). contacts/0002 renames the table and columns, reminders/0005 moves the reminder
schedule to reminders_reminderplan, contacts/0003 drops it from the contact.
"""

import django.db.models.deletion
from django.db import migrations, models

OPT_OUT_SOURCES = [
    ("keyword", "texted a stop word"),
    ("carrier", "Twilio reported an opt-out (21610)"),
    ("admin", "set by an admin"),
    ("forget", "asked to be erased (FORGET)"),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("advice", "0003_reminder_kinds"),
        ("reminders", "0003_suppression"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Contact",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("phone_number", models.CharField(max_length=20, unique=True, verbose_name="phone number")),
                        ("is_opted_out", models.BooleanField(db_index=True, default=False, verbose_name="opted out")),
                        ("opted_out_at", models.DateTimeField(blank=True, null=True, verbose_name="opted out at")),
                        (
                            "opt_out_source",
                            models.CharField(
                                blank=True, choices=OPT_OUT_SOURCES, max_length=10, verbose_name="opt-out source"
                            ),
                        ),
                        ("opted_in_at", models.DateTimeField(blank=True, null=True, verbose_name="opted back in at")),
                        (
                            "undeliverable_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="undeliverable since"),
                        ),
                        (
                            "undeliverable_reason",
                            models.CharField(blank=True, max_length=200, verbose_name="undeliverable because"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="first seen")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "language",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="advice.language",
                                verbose_name="language",
                            ),
                        ),
                        ("reminder_times", models.JSONField(blank=True, default=list, verbose_name="reminder times")),
                        ("time_zone", models.CharField(blank=True, max_length=64, verbose_name="time zone")),
                        (
                            "reminders_since",
                            models.DateTimeField(blank=True, null=True, verbose_name="reminders since"),
                        ),
                        ("paused_at", models.DateTimeField(blank=True, null=True, verbose_name="paused at")),
                        ("paused_until", models.DateTimeField(blank=True, null=True, verbose_name="paused until")),
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
                        "db_table": "reminders_subscriber",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("next_reminder_at__isnull", False)),
                                fields=["next_reminder_at"],
                                name="subscriber_due_idx",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "number_hmac",
                            models.CharField(max_length=64, unique=True, verbose_name="number (keyed hash)"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="erased at")),
                    ],
                    options={
                        "db_table": "reminders_suppression",
                        "ordering": ["-created_at"],
                        "verbose_name": "suppressed number",
                        "verbose_name_plural": "suppressed numbers",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
