"""Contacts (the person behind a phone number: language, time zone, consent and reachability
per channel) and the numbers erased on request."""

from __future__ import annotations

from typing import Literal

from django.db import models
from django.utils.translation import gettext_lazy as _

Channel = Literal["sms", "voice"]
CHANNELS: tuple[Channel, ...] = ("sms", "voice")


class Contact(models.Model):
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
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("IANA time zone, such as Europe/Brussels. Empty: from the number's country."),
    )

    # Consent, per channel.
    sms_opted_out = models.BooleanField(_("opted out of SMS"), default=False, db_index=True)
    sms_opted_out_at = models.DateTimeField(_("opted out of SMS at"), null=True, blank=True)
    sms_opt_out_source = models.CharField(
        _("SMS opt-out source"), max_length=10, choices=OptOutSource.choices, blank=True
    )
    sms_opted_in_at = models.DateTimeField(_("opted back in to SMS at"), null=True, blank=True)
    calls_opted_out = models.BooleanField(_("opted out of calls"), default=False)
    calls_opted_out_at = models.DateTimeField(_("opted out of calls at"), null=True, blank=True)
    calls_opt_out_source = models.CharField(
        _("calls opt-out source"), max_length=10, choices=OptOutSource.choices, blank=True
    )

    # Reachability, per channel: a landline cannot receive SMS, yet a call reaches it.
    sms_undeliverable_at = models.DateTimeField(
        _("SMS undeliverable since"), null=True, blank=True, help_text=_("Twilio refused the number for SMS for good.")
    )
    sms_undeliverable_reason = models.CharField(_("SMS undeliverable because"), max_length=200, blank=True)
    voice_undeliverable_at = models.DateTimeField(
        _("calls undeliverable since"),
        null=True,
        blank=True,
        help_text=_("Twilio refused the number for calls for good."),
    )
    voice_undeliverable_reason = models.CharField(_("calls undeliverable because"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        # Masked: this text is kept in the admin's history (LogEntry) and shown in its messages.
        from contacts.phone import masked

        return masked(self.phone_number)

    def is_opted_out(self, channel: Channel) -> bool:
        return self.sms_opted_out if channel == "sms" else self.calls_opted_out

    def is_undeliverable(self, channel: Channel) -> bool:
        at = self.sms_undeliverable_at if channel == "sms" else self.voice_undeliverable_at
        return at is not None

    def undeliverable_reason(self, channel: Channel) -> str:
        return self.sms_undeliverable_reason if channel == "sms" else self.voice_undeliverable_reason

    def can_receive(self, channel: Channel) -> bool:
        """Not opted out of the channel, and the number is not known to be unreachable on it."""
        return not self.is_opted_out(channel) and not self.is_undeliverable(channel)


class Suppression(models.Model):
    """A number erased on request (FORGET): nothing is sent to it until it texts again.

    Holds only a keyed HMAC of the number (contacts.suppression): the key
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
