"""Security headers Django's SecurityMiddleware does not set: the Content-Security-Policy, on
every response (pages, the admin, and static files, which WhiteNoise serves)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response


def static_file_headers(headers: dict[str, str], path: str, url: str) -> None:
    """WhiteNoise's hook: the same security headers on static files as on pages."""
    if settings.CONTENT_SECURITY_POLICY:
        headers["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY or "same-origin"
    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin"
