"""URL map: Twilio's webhooks, the health check and (where ADMIN_ENABLED) the admin at ADMIN_URL."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from messaging import views as messaging_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("twilio/voice/", include("voice.urls")),
    path("twilio/", include("messaging.urls")),
    path("health/", messaging_views.health, name="health"),
]

if settings.ADMIN_ENABLED:
    urlpatterns.append(path(settings.ADMIN_URL.lstrip("/"), admin.site.urls))

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("bench/empty/", messaging_views.bench_empty, name="bench-empty"))
