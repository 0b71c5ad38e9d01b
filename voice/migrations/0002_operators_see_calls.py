"""Operators read calls and their steps, as they read the message log (messaging 0006_roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODES = ["voice.view_call", "voice.view_callstep"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="operators")
    for code in CODES:
        app_label, codename = code.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="operators").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="voice"))


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0001_initial"),
        ("messaging", "0006_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
