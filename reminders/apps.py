"""The reminders app: subscribers (one per phone number) and their reminders and advisories."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Subscribers and reminders")

    def ready(self) -> None:
        # What reminders and advisories must respect when sent: the outbound pipeline asks.
        from reminders import presend

        presend.register()
