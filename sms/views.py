"""The SMS channel's Twilio webhooks: check the signature, record, queue, answer at once. Nothing else."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging import services as message_services
from messaging.tasks import queue
from messaging.twilio_signature import twilio_signature_required
from sms import services, tasks

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
@twilio_signature_required
def inbound_sms(request: HttpRequest) -> HttpResponse:
    recorded = services.inbound_sms_record(params=request.POST.dict())
    if recorded.needs_processing:
        message_id = recorded.message.pk
        transaction.on_commit(lambda: queue(tasks.process_inbound, message_id))
    if recorded.message.state == recorded.message.State.REJECTED:
        return HttpResponse(f"Rejected: {recorded.message.note}.\n", status=400, content_type="text/plain")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
@twilio_signature_required
def sms_status(request: HttpRequest) -> HttpResponse:
    update = message_services.message_status_update(params=request.POST.dict(), message_ref=request.GET.get("m", ""))
    if update.refused:
        return HttpResponse(f"Refused: {update.refused}.\n", status=400, content_type="text/plain")
    return HttpResponse(status=204)


@csrf_exempt
def bench_empty(request: HttpRequest) -> HttpResponse:
    """The ceiling for the benchmark: Django answering empty TwiML and doing nothing else."""
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
