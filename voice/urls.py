"""Twilio's voice webhooks. Point the number's "A call comes in" at /twilio/voice/ (README)."""

from __future__ import annotations

from django.urls import path

from voice import views

app_name = "voice"

urlpatterns = [
    path("", views.incoming, name="incoming"),
    path("language/", views.language, name="language"),
    path("menu/", views.menu, name="menu"),
    path("topic/", views.topic, name="topic"),
    path("status/", views.status, name="status"),
    path("fallback/", views.fallback, name="fallback"),
]
