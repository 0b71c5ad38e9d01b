"""Roles as groups: editors write texts and keywords, clinicians approve them, operators run
contacts, reminders and advisories and read the message log.

Permissions are created here (Django otherwise creates them only after all migrations), so
a fresh database has complete groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "editors": [
        "advice.view_language",
        "advice.change_language",
        "advice.view_topic",
        "advice.change_topic",
        "advice.add_topic",
        "advice.view_topictranslation",
        "advice.add_topictranslation",
        "advice.change_topictranslation",
        "advice.view_keyword",
        "advice.add_keyword",
        "advice.change_keyword",
        "advice.delete_keyword",
        "advice.view_textdraft",
        "advice.add_textdraft",
        "advice.view_source",
        "advice.view_passage",
    ],
    "clinicians": [
        "advice.view_language",
        "advice.view_topic",
        "advice.view_topictranslation",
        "advice.view_keyword",
        "advice.approve_keyword",
        "advice.view_textdraft",
        "advice.change_textdraft",
        "advice.approve_textdraft",
        "advice.view_source",
        "advice.add_source",
        "advice.view_passage",
    ],
    "operators": [
        "reminders.view_subscriber",
        "reminders.add_subscriber",
        "reminders.change_subscriber",
        "reminders.view_broadcast",
        "reminders.add_broadcast",
        "reminders.change_broadcast",
        "messaging.view_message",
        "messaging.change_message",
        "messaging.view_personal_data",
        "advice.view_topic",
        "advice.view_language",
    ],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_provider_deletion"),
        ("reminders", "0002_reminder_schedule_and_advisories"),
        ("advice", "0010_seed_governance"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
