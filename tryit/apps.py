from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TryitConfig(AppConfig):
    name = "tryit"
    verbose_name = _("Try it")
