"""The admin site: a password, then an authenticator code for staff who set one up.

Staff with a confirmed TOTP device (django-otp) must give its code at login; superusers must
have one when ADMIN_REQUIRE_2FA is on. Login throttling (django-axes) runs in the
authentication backend, before any password is hashed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm


def needs_second_factor(user: Any) -> bool:
    return bool(user_has_device(user, confirmed=True) or (user.is_superuser and settings.ADMIN_REQUIRE_2FA))


class ServiceAuthenticationForm(OTPAdminAuthenticationForm):  # type: ignore[misc]  # django-otp has no types
    def clean(self) -> dict[str, Any]:
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and needs_second_factor(user):
            if not any(True for _device in devices_for_user(user, confirmed=True)):
                raise forms.ValidationError(
                    _(
                        "Superusers need an authenticator app (two-factor authentication) to sign in: "
                        "ask another administrator to set one up for you."
                    ),
                    code="second_factor_missing",
                )
            self.clean_otp(user)
        return self.cleaned_data


class ServiceAdminSite(admin.AdminSite):
    login_form = ServiceAuthenticationForm
    login_template = "otp/admin111/login.html"
    # "View site": the try-it phone (tryit), the one page of the service a person can look at.
    site_url = settings.ADMIN_URL + "try/"
    # The lists need the width (a 1,366-pixel screen shows every column); Home lists every model.
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user: Any = request.user
        # A session opened before a device was set up (or before 2FA was required) must sign in again.
        return not needs_second_factor(user) or bool(user.is_verified())


def client_ip(request: HttpRequest) -> str:
    """The address login throttling counts: the proxy's header when configured (its last entry), else the peer's."""
    header = settings.ADMIN_CLIENT_IP_HEADER
    if header:
        forwarded = request.headers.get(header, "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))
