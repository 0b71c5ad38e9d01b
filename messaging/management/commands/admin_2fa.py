"""manage.py admin_2fa USERNAME: give a staff user an authenticator app (TOTP), printing its set-up link.

For the first superuser when ADMIN_REQUIRE_2FA is on (nobody can sign in yet to add one in
the admin: OTP_TOTP / TOTP devices). Replaces the user's earlier TOTP devices.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user {username!r}.")
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
        self.stdout.write(
            "Add this to the authenticator app (as a link or a QR code), then sign in with its code:\n"
            f"{device.config_url}\n"
        )
