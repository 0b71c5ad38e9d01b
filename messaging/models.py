"""The message log: every message in or out is a row, from arrival or creation to its final state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Twilio's message statuses in the order they move; a status callback may only move a
# message forward (callbacks for multi-segment messages can arrive out of order).
# Messages sent in bulk, by the bulk senders rather than one task per message.
BULK_PURPOSES = ("reminder", "advisory")

PROVIDER_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,
}

# Twilio's call statuses in the order they move; a status callback only moves a call forward.
CALL_STATUS_RANK = {
    "queued": 1,
    "initiated": 2,
    "ringing": 3,
    "in-progress": 4,
    "completed": 5,
    "busy": 5,
    "no-answer": 5,
    "canceled": 5,
    "failed": 5,
}


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("inbound")
        OUTBOUND = "out", _("outbound")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        VOICE = "voice", _("voice")

    class State(models.TextChoices):
        # Inbound (and FAILED: could not be handled)
        RECEIVED = "received", _("received, not yet handled")
        HANDLED = "handled", _("handled")
        IGNORED = "ignored", _("ignored (nothing to answer)")
        REJECTED = "rejected", _("rejected (malformed)")
        # Outbound
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being handed to Twilio")
        SUBMITTED = "submitted", _("accepted by Twilio")
        FAILED = "failed", _("failed")
        GAVE_UP = "gave-up", _("gave up (Twilio unavailable for the whole retry window)")
        CANCELLED = "cancelled", _("not sent")
        MISSED = "missed", _("missed (too late to send)")

    class Purpose(models.TextChoices):
        REPLY = "reply", _("reply to a keyword")
        OPT_OUT_CONFIRMATION = "opt-out", _("opt-out confirmation")
        REMINDER = "reminder", _("scheduled reminder")
        ADVISORY = "advisory", _("advisory to all subscribers")
        PREVIEW = "preview", _("a draft text, sent to a reviewer's own number")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("contact"),
    )
    phone_number = models.CharField(
        _("their number"), max_length=64, blank=True, help_text=_("E.164 when it is a phone number; else as received.")
    )
    service_number = models.CharField(_("our number"), max_length=64, blank=True)
    body = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    topic = models.ForeignKey(
        "advice.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("topic")
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies", verbose_name=_("reply to")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("What was understood, or why not."))

    provider_sid = models.CharField(_("Twilio SID"), max_length=64, null=True, blank=True, unique=True)
    provider_status = models.CharField(_("Twilio status"), max_length=12, blank=True)
    error_code = models.PositiveIntegerField(_("error code"), null=True, blank=True)
    error_message = models.CharField(_("error"), max_length=500, blank=True)
    encoding = models.CharField(_("encoding"), max_length=5, blank=True)
    segments = models.PositiveSmallIntegerField(_("segments"), null=True, blank=True)
    params = models.JSONField(_("webhook parameters"), default=dict, blank=True)

    # Scheduled messages: the occurrence a reminder is for, the advisory it belongs to.
    scheduled_for = models.DateTimeField(_("due at"), null=True, blank=True)
    slot = models.CharField(
        _("occurrence"), max_length=16, blank=True, help_text=_("The local time a reminder was scheduled for.")
    )
    broadcast = models.ForeignKey(
        "reminders.Broadcast",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("advisory"),
    )

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    retrying_since = models.DateTimeField(
        _("retrying since"),
        null=True,
        blank=True,
        help_text=_("Where the retry window starts when it is not the creation: an admin's retry."),
    )
    uncertain = models.BooleanField(
        _("may have reached Twilio"),
        default=False,
        help_text=_("An attempt ended without an answer: Twilio is asked before any new attempt."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("accepted by Twilio at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One reply per inbound message, however often its processing runs.
            models.UniqueConstraint(fields=["reply_to"], name="one_reply_per_inbound_message"),
            # One message per reminder occurrence and per advisory recipient, however many
            # schedulers race or retry. Per channel: a reminder call that reached nobody
            # is followed by the same reminder as a text (reminders.calls), once.
            models.UniqueConstraint(
                fields=["contact", "slot", "channel"],
                condition=Q(purpose="reminder"),
                name="one_message_per_reminder_slot_and_channel",
            ),
            models.UniqueConstraint(
                fields=["broadcast", "contact"],
                condition=Q(broadcast__isnull=False),
                name="one_message_per_advisory_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["contact", "direction", "created_at"], name="message_recent_by_number_idx"),
            # Scheduled messages waiting to be sent: what the bulk senders claim.
            models.Index(
                fields=["id"],
                condition=Q(state="pending", purpose__in=["reminder", "advisory"]),
                name="message_bulk_pending_idx",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        # Least privilege: phone numbers and message texts are health data (GDPR Art. 9).
        # Operators hold this; content editors do not, and see neither in the admin.
        permissions = [("view_personal_data", _("Can see phone numbers and message texts"))]

    def __str__(self) -> str:
        # Neither number nor text: this is shown to everyone who sees the admin, and kept in its history.
        from contacts.phone import masked

        arrow = "←" if self.direction == self.Direction.INBOUND else "→"
        return f"{arrow} {masked(self.phone_number)} #{self.pk}"


class ProviderDeletion(models.Model):
    """A message record to delete at Twilio (erasure on request, retention): durable until done.

    Only Twilio's SID is kept, never the number or the text. A row is removed once Twilio
    has deleted the record (or says it is gone); failures wait for their next attempt.
    """

    provider_sid = models.CharField(_("Twilio SID"), max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("Twilio record to delete")
        verbose_name_plural = _("Twilio records to delete")

    def __str__(self) -> str:
        return self.provider_sid
