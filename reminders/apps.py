"""The reminders app: reminder plans, the scheduler, advisories."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from contacts.services import on_reachability_change
        from reminders import presend
        from reminders.services import plan_follow_contact

        # A contact who opts out or becomes unreachable gets no reminder; back in, the plan resumes.
        on_reachability_change(plan_follow_contact)
        # What reminders and advisories must respect when sent: the outbound pipeline asks.
        presend.register()
