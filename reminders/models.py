"""Reminder plans (one per contact who chose reminders) and broadcasts (advisories)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReminderPlan(models.Model):
    """A contact's reminders: times, pause, and the next occurrence. No plan (or no times): no reminders."""

    class Channel(models.TextChoices):
        SMS = "sms", _("text messages")
        VOICE = "voice", _("phone calls")

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_plan",
        verbose_name=_("contact"),
    )
    reminder_times = models.JSONField(
        _("reminder times"), default=list, blank=True, help_text=_("Local times of day, such as 08:00.")
    )
    channel = models.CharField(
        _("reminders by"),
        max_length=5,
        choices=Channel.choices,
        default=Channel.SMS,
        help_text=_("Text messages, or a short phone call at each time (REMIND CALL, the phone menu's 8)."),
    )
    reminders_since = models.DateTimeField(_("reminders since"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_until = models.DateTimeField(
        _("paused until"), null=True, blank=True, help_text=_("Empty while paused: until the person resumes.")
    )
    # The next occurrence, kept up to date by reminders.services whenever anything above
    # (or the contact's reachability) changes; empty when nothing is to be sent. The
    # scheduler reads only this (an index on due rows), so a tick's cost grows with the
    # number due, not with the total.
    next_reminder_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    next_reminder_slot = models.CharField(_("next reminder (local time)"), max_length=16, blank=True)
    last_reminder_topic = models.ForeignKey(
        "advice.Topic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last reminder text"),
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["next_reminder_at"], condition=Q(next_reminder_at__isnull=False), name="reminder_plan_due_idx"
            ),
        ]
        verbose_name = _("reminder plan")
        verbose_name_plural = _("reminder plans")

    def __str__(self) -> str:
        return str(self.contact)

    @property
    def has_reminders(self) -> bool:
        return bool(self.reminder_times)

    def is_paused(self, when: datetime | None = None) -> bool:
        """Paused at `when` (default now): until RESUME, or until `paused_until`."""
        if self.paused_at is None:
            return False
        return self.paused_until is None or self.paused_until > (when or timezone.now())


class Broadcast(models.Model):
    """One advisory (the heat and effort advice) sent once to every contact with reminders on."""

    class State(models.TextChoices):
        PLANNING = "planning", _("finding recipients")
        SENDING = "sending", _("sending")
        DONE = "done", _("done")

    topic = models.ForeignKey("advice.Topic", on_delete=models.PROTECT, related_name="+", verbose_name=_("topic"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNING)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    planned_up_to = models.BigIntegerField(
        _("planned up to contact"), default=0, help_text=_("Planning resumes after this contact id.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("advisory")
        verbose_name_plural = _("advisories")

    def __str__(self) -> str:
        return f"{self.topic} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else str(self.topic)
