"""The reminder schedule now lives in reminders_reminderplan (reminders/0005 copied it): drop it here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_contact_per_channel"),
        ("reminders", "0005_reminderplan"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="contact", name="subscriber_due_idx"),
        migrations.RemoveField(model_name="contact", name="reminder_times"),
        migrations.RemoveField(model_name="contact", name="reminders_since"),
        migrations.RemoveField(model_name="contact", name="paused_at"),
        migrations.RemoveField(model_name="contact", name="paused_until"),
        migrations.RemoveField(model_name="contact", name="next_reminder_at"),
        migrations.RemoveField(model_name="contact", name="next_reminder_slot"),
        migrations.RemoveField(model_name="contact", name="last_reminder_topic"),
    ]
