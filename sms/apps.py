"""The sms app: the SMS channel. Twilio's webhooks, inbound messages and their replies, `./run sms`."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("SMS")
