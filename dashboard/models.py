"""Daily counts behind the dashboard's charts: numbers per day, channel, language and key, never a person.

A row holds no number, no text and no link to a contact or a message, so it outlives the
retention of texts and every erasure (issue 12: "counts per day, topic, language and
channel are kept without any link to a person"). `dashboard.services.daily_counts_compute`
rewrites a day's rows from the message log; a chart reads one metric over a period through
the (metric, day) index, whatever the size of the message log.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyCount(models.Model):
    class Metric(models.TextChoices):
        MESSAGES = "messages", _("messages (key: in or out)")
        REPLIES = "replies", _("replies by topic (key: topic)")
        OUTCOMES = "outcomes", _("delivery outcomes (key: outcome)")
        ERRORS = "errors", _("Twilio error codes (key: code)")
        OPT_OUTS = "opt-outs", _("opt-outs")
        NEW_CONTACTS = "new-contacts", _("new contacts")
        SUBSCRIBERS = "subscribers", _("active reminder subscribers")
        SEGMENTS = "segments", _("SMS segments sent")
        CALLS = "calls", _("calls")
        CALL_SECONDS = "call-seconds", _("call seconds")
        COUNTED = "counted", _("day counted (1)")

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    channel = models.CharField(_("channel"), max_length=5, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    key = models.CharField(_("key"), max_length=40, blank=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        ordering = ["day", "metric", "channel", "language", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "day", "channel", "language", "key"], name="one_daily_count_per_key"
            ),
        ]
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboard")

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.channel} {self.language} {self.key}: {self.value}"
