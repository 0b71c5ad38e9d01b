"""URL map: the admin and Twilio's webhooks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from messaging import views as messaging_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("twilio/", include("messaging.urls")),
    path("health/", messaging_views.health, name="health"),
]

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("bench/empty/", messaging_views.bench_empty, name="bench-empty"))
