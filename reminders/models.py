"""Subscribers: one per phone number, with their language and opt-out state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscriber(models.Model):
    class OptOutSource(models.TextChoices):
        KEYWORD = "keyword", _("texted a stop word")
        CARRIER = "carrier", _("Twilio reported an opt-out (21610)")
        ADMIN = "admin", _("set by an admin")

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
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.phone_number

    @property
    def is_reachable(self) -> bool:
        return not self.is_opted_out and self.undeliverable_at is None
