"""The try-it phone's URLs: `admin_patterns` under ADMIN_URL + "try/" (staff only), `public_patterns`
under /try/ (answering only where TRY_IT_PUBLIC is on)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, path

from tryit import views

admin_patterns: list[URLPattern] = [
    path("", admin.site.admin_view(views.admin_phone), name="tryit-admin"),
    path("send/", admin.site.admin_view(views.admin_send), name="tryit-admin-send"),
    path("thread/", admin.site.admin_view(views.admin_thread), name="tryit-admin-thread"),
    path("new/", admin.site.admin_view(views.admin_new), name="tryit-admin-new"),
]

public_patterns: list[URLPattern] = [
    path("", views.public_phone, name="tryit-public"),
    path("send/", views.public_send, name="tryit-public-send"),
    path("thread/", views.public_thread, name="tryit-public-thread"),
    path("new/", views.public_new, name="tryit-public-new"),
]
