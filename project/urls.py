"""URL map: the admin and Twilio's webhooks."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from messaging import views as messaging_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("twilio/", include("messaging.urls")),
    path("health/", messaging_views.health, name="health"),
]
