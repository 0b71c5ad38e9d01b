"""Reminder calls' URLs, under /twilio/voice/reminder/: every call names its own (README)."""

from __future__ import annotations

from django.urls import path

from reminders import call_views

app_name = "reminder-calls"

urlpatterns = [
    path("", call_views.reminder_call, name="twiml"),
    path("key/", call_views.reminder_call_key, name="key"),
    path("status/", call_views.reminder_call_status, name="status"),
]
