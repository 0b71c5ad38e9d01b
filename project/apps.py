"""The admin app, with the project's admin site (two-factor authentication) as its default site."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "project.admin_site.ServiceAdminSite"
