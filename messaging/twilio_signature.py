"""Twilio's request signature on every webhook, for every channel (SMS now, voice next)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

View = Callable[[HttpRequest], HttpResponse]


def twilio_signature_required(view: View) -> View:
    """403 unless X-Twilio-Signature matches the public URL Twilio called.

    Twilio signs the URL it was given (PUBLIC_BASE_URL + path), not the one this process
    sees behind a proxy, so the request's own host and scheme are never used.
    """

    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        if not signature or not validator.validate(url, request.POST, signature):
            logger.warning(
                "%s refused: %s X-Twilio-Signature for %s (is PUBLIC_BASE_URL the URL Twilio calls?)",
                request.path,
                "invalid" if signature else "missing",
                url,
            )
            return HttpResponse("Invalid or missing X-Twilio-Signature.\n", status=403, content_type="text/plain")
        return view(request)

    return checked
