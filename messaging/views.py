"""Twilio webhooks: check the signature, record, queue, answer at once. Nothing else."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from messaging import services, tasks

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

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


@csrf_exempt
@require_POST
@twilio_signature_required
def inbound_sms(request: HttpRequest) -> HttpResponse:
    recorded = services.inbound_sms_record(params=request.POST.dict())
    if recorded.needs_processing:
        message_id = recorded.message.pk
        transaction.on_commit(lambda: tasks.queue(tasks.process_inbound, message_id))
    if recorded.message.state == recorded.message.State.REJECTED:
        return HttpResponse(f"Rejected: {recorded.message.note}.\n", status=400, content_type="text/plain")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
@twilio_signature_required
def sms_status(request: HttpRequest) -> HttpResponse:
    update = services.message_status_update(params=request.POST.dict(), message_ref=request.GET.get("m", ""))
    if update.refused:
        return HttpResponse(f"Refused: {update.refused}.\n", status=400, content_type="text/plain")
    return HttpResponse(status=204)


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@csrf_exempt
def bench_empty(request: HttpRequest) -> HttpResponse:
    """The ceiling for the benchmark: Django answering empty TwiML and doing nothing else."""
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
