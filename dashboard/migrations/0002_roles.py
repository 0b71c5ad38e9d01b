"""The dashboard for operators (who run the service) and editors (who decide which words to add).

The list of texts not understood needs the personal-data permission on top, which operators
have and editors do not.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {"operators": ["dashboard.view_dailycount"], "editors": ["dashboard.view_dailycount"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("dashboard")
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


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="dashboard", codename="view_dailycount"):
        permission.group_set.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("messaging", "0006_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
