"""URL map: Twilio's webhooks, the health check and (where ADMIN_ENABLED) the admin at ADMIN_URL."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from project import views as project_views
from sms import views as sms_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("twilio/", include("sms.urls")),
    path("health/", project_views.health, name="health"),
]

if settings.ADMIN_ENABLED:
    urlpatterns.append(path(settings.ADMIN_URL.lstrip("/"), admin.site.urls))

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("bench/empty/", sms_views.bench_empty, name="bench-empty"))
