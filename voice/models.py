"""A call's steps: what the caller heard and what they pressed or said, one row per answer.

The call itself is a `messaging.Message` (channel "voice", direction "in", Twilio's CallSid
as its provider SID), so it sits in the message log beside the contact's texts and goes
wherever they go (retention, erasure, counts). Its steps live here. What a caller said is
kept in the call's text (`body`, one line per step), never in a step, so that erasure and
retention, which blank every message's text, blank it too.

A step is unique on (call, sequence): every answer names, in the URLs it gives Twilio, the
sequence number of the step that follows, so a request Twilio repeats (it may send the same
one twice) finds its step recorded and changes nothing. A text copy is unique on (call,
topic): pressing 2 twice, or a repeated request, sends one text message.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from messaging.models import Message


class CallStep(models.Model):
    class Where(models.TextChoices):
        START = "start", _("the call came in")
        LANGUAGE = "language", _("language menu")
        MENU = "menu", _("topic menu")
        TOPIC = "topic", _("after a topic")
        STATUS = "status", _("status from Twilio")

    class Input(models.TextChoices):
        NONE = "", _("nothing")
        DIGITS = "dtmf", _("keypad")
        SPEECH = "speech", _("speech")

    call = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, related_name="call_steps", verbose_name=_("call")
    )
    sequence = models.PositiveIntegerField(_("step"))
    where = models.CharField(_("where"), max_length=10, choices=Where.choices)
    input = models.CharField(_("input"), max_length=6, choices=Input.choices, blank=True)
    heard = models.CharField(
        _("pressed"),
        max_length=200,
        blank=True,
        help_text=_(
            "The key pressed (a status callback: the status). Words said are in the call's text, erased with it."
        ),
    )
    said = models.CharField(
        _("answered with"), max_length=300, blank=True, help_text=_("The prompts and topic the caller heard, in order.")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    topic = models.ForeignKey(
        "advice.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("topic")
    )
    text_message = models.OneToOneField(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("text message sent"),
    )
    duration_seconds = models.PositiveIntegerField(
        _("call duration (seconds)"), null=True, blank=True, help_text=_("From Twilio's final status callback.")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["call", "sequence"]
        constraints = [
            # A repeated request for the same step records nothing new.
            models.UniqueConstraint(
                fields=["call", "sequence"], condition=~Q(where="status"), name="one_row_per_call_step"
            ),
            # Twilio's status callbacks: one row per status, however often it is reported.
            models.UniqueConstraint(
                fields=["call", "heard"], condition=Q(where="status"), name="one_row_per_call_status"
            ),
            # One text copy per call and topic, however often 2 is pressed.
            models.UniqueConstraint(
                fields=["call", "topic"], condition=Q(text_message__isnull=False), name="one_text_copy_per_call_topic"
            ),
        ]
        verbose_name = _("call step")
        verbose_name_plural = _("call steps")

    def __str__(self) -> str:
        # Never what the caller said: this is shown in the admin to people without the permission.
        return f"#{self.call_id}.{self.sequence} {self.where}"


class CallManager(models.Manager["Call"]):
    def get_queryset(self) -> models.QuerySet[Call]:
        return super().get_queryset().filter(channel="voice", direction="in")


class Call(Message):
    """The message log's calls, for their own admin page (with their steps)."""

    objects = CallManager()  # type: ignore[misc]  # a proxy narrows Message's manager to calls

    class Meta:
        proxy = True
        verbose_name = _("call")
        verbose_name_plural = _("calls")
