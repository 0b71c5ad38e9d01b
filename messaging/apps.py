"""The messaging app: the channel layer (Twilio transport, webhooks), the message log and the
one outbound pipeline (messaging.outbound)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        # The content admin's "Send it to my phone" goes out through this channel.
        from advice.previews import preview_sender_register
        from messaging.previews import SmsPreviews

        preview_sender_register(SmsPreviews())
