"""Subscribers (one per phone number: language, opt-out, reminder times) and broadcasts."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Subscriber(models.Model):
    class OptOutSource(models.TextChoices):
        KEYWORD = "keyword", _("texted a stop word")
        CARRIER = "carrier", _("Twilio reported an opt-out (21610)")
        ADMIN = "admin", _("set by an admin")
        FORGET = "forget", _("asked to be erased (FORGET)")

    phone_number = models.CharField(
        _("phone number"), max_length=20, unique=True, help_text=_("E.164, such as +32470123456.")
    )
    language = models.ForeignKey(
        "advice.Language",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("language"),
        help_text=_("Empty until the number uses a keyword; replies then use the default language."),
    )
    is_opted_out = models.BooleanField(_("opted out"), default=False, db_index=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    opt_out_source = models.CharField(_("opt-out source"), max_length=10, choices=OptOutSource.choices, blank=True)
    opted_in_at = models.DateTimeField(_("opted back in at"), null=True, blank=True)
    undeliverable_at = models.DateTimeField(
        _("undeliverable since"), null=True, blank=True, help_text=_("Twilio refused the number for good.")
    )
    undeliverable_reason = models.CharField(_("undeliverable because"), max_length=200, blank=True)

    # Hydration reminders. Empty times: not subscribed.
    reminder_times = models.JSONField(
        _("reminder times"), default=list, blank=True, help_text=_("Local times of day, such as 08:00.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("IANA time zone, such as Europe/Brussels. Empty: from the number's country."),
    )
    reminders_since = models.DateTimeField(_("reminders since"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_until = models.DateTimeField(
        _("paused until"), null=True, blank=True, help_text=_("Empty while paused: until the person resumes.")
    )
    # The next occurrence, kept up to date by reminders.services whenever anything above
    # changes; empty when nothing is to be sent. The scheduler reads only this (an index
    # on due rows), so a tick's cost grows with the number due, not with the total.
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
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_reminder_at"], condition=Q(next_reminder_at__isnull=False), name="subscriber_due_idx"
            ),
        ]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        # Masked: this text is kept in the admin's history (LogEntry) and shown in its messages.
        from messaging.phone import masked

        return masked(self.phone_number)

    @property
    def is_reachable(self) -> bool:
        return not self.is_opted_out and self.undeliverable_at is None

    @property
    def has_reminders(self) -> bool:
        return bool(self.reminder_times)

    def is_paused(self, when: datetime | None = None) -> bool:
        """Paused at `when` (default now): until RESUME, or until `paused_until`."""
        if self.paused_at is None:
            return False
        return self.paused_until is None or self.paused_until > (when or timezone.now())


class Broadcast(models.Model):
    """One advisory (the heat and effort advice) sent once to every active subscriber."""

    class State(models.TextChoices):
        PLANNING = "planning", _("finding recipients")
        SENDING = "sending", _("sending")
        DONE = "done", _("done")

    topic = models.ForeignKey("advice.Topic", on_delete=models.PROTECT, related_name="+", verbose_name=_("topic"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNING)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    planned_up_to = models.BigIntegerField(
        _("planned up to subscriber"), default=0, help_text=_("Planning resumes after this subscriber id.")
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


class Suppression(models.Model):
    """A number erased on request (FORGET): nothing is sent to it until it texts again.

    Holds only a keyed HMAC of the number (reminders.suppression): the key
    (SUPPRESSION_HMAC_KEY) is never in the database, so the table alone names nobody.
    """

    number_hmac = models.CharField(_("number (keyed hash)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("erased at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed number")
        verbose_name_plural = _("suppressed numbers")

    def __str__(self) -> str:
        return f"{self.number_hmac[:12]}…"
