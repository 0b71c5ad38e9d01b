"""The contact's own table and per-channel columns, its rows kept.

reminders_subscriber -> contacts_contact (and reminders_suppression -> contacts_suppression);
the opt-out and undeliverable columns become the SMS ones (every one of them came from SMS);
calls get their own, empty (FORGET's opt-out covers calls too). The admin's history and the
operators' permissions follow the model (its content type is renamed, not recreated).
"""

from django.conf import settings
from django.db import migrations, models

OPT_OUT_SOURCES = [
    ("keyword", "texted a stop word"),
    ("carrier", "Twilio reported an opt-out (21610)"),
    ("admin", "set by an admin"),
    ("forget", "asked to be erased (FORGET)"),
]

MOVES = [
    (("reminders", "subscriber"), ("contacts", "contact")),
    (("reminders", "suppression"), ("contacts", "suppression")),
]


def _move_content_type(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    LogEntry = apps.get_model("admin", "LogEntry")
    source = ContentType.objects.filter(app_label=old[0], model=old[1]).first()
    if source is None:
        return
    target = ContentType.objects.filter(app_label=new[0], model=new[1]).first()
    if target is None:
        # The usual case: rename in place; permissions and history keep pointing at it.
        source.app_label, source.model = new
        source.save(update_fields=["app_label", "model"])
        for permission in Permission.objects.filter(content_type=source):
            action = permission.codename.split("_", 1)[0]
            permission.codename = f"{action}_{new[1]}"
            permission.name = f"Can {action} {new[1]}"
            permission.save(update_fields=["codename", "name"])
        return
    # Both exist (created by a later post_migrate): move what points at the old one, then drop it.
    LogEntry.objects.filter(content_type=source).update(content_type=target)
    for permission in Permission.objects.filter(content_type=source):
        action = permission.codename.split("_", 1)[0]
        replacement, _ = Permission.objects.get_or_create(
            content_type=target, codename=f"{action}_{new[1]}", defaults={"name": f"Can {action} {new[1]}"}
        )
        for group in Group.objects.filter(permissions=permission):
            group.permissions.add(replacement)
        User = apps.get_model(settings.AUTH_USER_MODEL)
        for user in User.objects.filter(user_permissions=permission):
            user.user_permissions.add(replacement)
        permission.delete()
    source.delete()


def forwards(apps, schema_editor):
    for old, new in MOVES:
        _move_content_type(apps, old, new)


def backwards(apps, schema_editor):
    for old, new in MOVES:
        _move_content_type(apps, new, old)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("reminders", "0004_contact_moved_to_contacts"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelTable(name="contact", table=None),
        migrations.AlterModelTable(name="suppression", table=None),
        migrations.RenameField(model_name="contact", old_name="is_opted_out", new_name="sms_opted_out"),
        migrations.RenameField(model_name="contact", old_name="opted_out_at", new_name="sms_opted_out_at"),
        migrations.RenameField(model_name="contact", old_name="opt_out_source", new_name="sms_opt_out_source"),
        migrations.RenameField(model_name="contact", old_name="opted_in_at", new_name="sms_opted_in_at"),
        migrations.RenameField(model_name="contact", old_name="undeliverable_at", new_name="sms_undeliverable_at"),
        migrations.RenameField(
            model_name="contact", old_name="undeliverable_reason", new_name="sms_undeliverable_reason"
        ),
        migrations.AddField(
            model_name="contact",
            name="calls_opted_out",
            field=models.BooleanField(default=False, verbose_name="opted out of calls"),
        ),
        migrations.AddField(
            model_name="contact",
            name="calls_opted_out_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="opted out of calls at"),
        ),
        migrations.AddField(
            model_name="contact",
            name="calls_opt_out_source",
            field=models.CharField(
                blank=True, choices=OPT_OUT_SOURCES, max_length=10, verbose_name="calls opt-out source"
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="voice_undeliverable_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="calls undeliverable since"),
        ),
        migrations.AddField(
            model_name="contact",
            name="voice_undeliverable_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="calls undeliverable because"),
        ),
        # Asked to be erased: no call either, until the erasure runs.
        migrations.RunSQL(
            "UPDATE contacts_contact SET calls_opted_out = sms_opted_out, calls_opted_out_at = sms_opted_out_at,"
            " calls_opt_out_source = sms_opt_out_source WHERE sms_opt_out_source = 'forget'",
            migrations.RunSQL.noop,
        ),
        migrations.RunPython(forwards, backwards),
    ]
