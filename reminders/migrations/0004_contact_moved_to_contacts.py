"""Subscriber and Suppression now belong to `contacts` (state only: the tables stay, contacts/0002 renames them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0003_suppression"),
        ("contacts", "0001_initial"),
        ("messaging", "0008_message_contact"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Subscriber"), migrations.DeleteModel(name="Suppression")],
            database_operations=[],
        ),
    ]
