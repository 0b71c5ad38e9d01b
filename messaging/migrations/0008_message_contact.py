"""Message.subscriber becomes Message.contact (contacts.Contact): the same rows, the column renamed."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0007_preview_purpose"),
        ("contacts", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="message", name="one_message_per_reminder_slot"),
        migrations.RemoveConstraint(model_name="message", name="one_message_per_advisory_recipient"),
        migrations.RemoveIndex(model_name="message", name="message_recent_by_number_idx"),
        # The table is the same: only the state learns that the row is now a contact.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="subscriber",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="messages",
                        to="contacts.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RenameField(model_name="message", old_name="subscriber", new_name="contact"),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                condition=models.Q(("purpose", "reminder")),
                fields=("contact", "slot"),
                name="one_message_per_reminder_slot",
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                condition=models.Q(("broadcast__isnull", False)),
                fields=("broadcast", "contact"),
                name="one_message_per_advisory_recipient",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["contact", "direction", "created_at"], name="message_recent_by_number_idx"),
        ),
    ]
