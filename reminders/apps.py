"""The reminders app: subscribers (one per phone number) and, later, their reminders."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Subscribers and reminders")
