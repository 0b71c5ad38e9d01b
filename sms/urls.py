"""Twilio's webhooks. Point the number's "A message comes in" at /twilio/sms/."""

from __future__ import annotations

from django.urls import path

from sms import views

app_name = "sms"

urlpatterns = [
    path("sms/", views.inbound_sms, name="inbound-sms"),
    path("sms/status/", views.sms_status, name="sms-status"),
]
