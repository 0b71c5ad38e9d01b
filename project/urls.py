"""URL map: Twilio's webhooks, the health check, (where ADMIN_ENABLED) the admin at ADMIN_URL with
the try-it phone at ADMIN_URL + "try/", and the try-it phone at /try/ (where TRY_IT_PUBLIC)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from project import views as project_views
from sms import views as sms_views
from tryit import urls as tryit_urls
from tryit import views as tryit_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("twilio/voice/", include("voice.urls")),
    path("twilio/", include("sms.urls")),
    path("twilio/voice/reminder/", include("reminders.call_urls")),
    path("health/", project_views.health, name="health"),
]

if settings.ADMIN_ENABLED:
    # Before the admin's own URLs, whose catch-all would take "try/" for an app.
    urlpatterns.append(path(settings.ADMIN_URL.lstrip("/") + "try/", include(tryit_urls.admin_patterns)))
    urlpatterns.append(path(settings.ADMIN_URL.lstrip("/"), admin.site.urls))

# The embedded default: the address ./run prints leads a newcomer straight to the phone.
# Everywhere else (TRY_IT_PUBLIC off) these answer 404.
urlpatterns.append(path("try/", include(tryit_urls.public_patterns)))
urlpatterns.append(path("", tryit_views.home, name="home"))

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("bench/empty/", sms_views.bench_empty, name="bench-empty"))
