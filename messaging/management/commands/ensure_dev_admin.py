"""Development only: create the admin/admin superuser the embedded default announces."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the development superuser admin/admin (DJANGO_DEBUG=1 only), unless a superuser exists."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_dev_admin runs only with DJANGO_DEBUG=1; use createsuperuser in production.")
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return
        users.create_superuser("admin", "admin@localhost", "admin")
        self.stdout.write("Created the development superuser admin / admin.")
