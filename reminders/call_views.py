"""Twilio's requests about reminder calls: the call's TwiML, its keys, its status callbacks.

Each checks `X-Twilio-Signature` against PUBLIC_BASE_URL + path and query (403 otherwise),
as the SMS webhooks do; each URL names the call row and the attempt (`?m=..&a=..`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.twilio_signature import twilio_signature_required
from reminders import call_twiml, calls


def _twiml(xml: str) -> HttpResponse:
    return HttpResponse(xml, content_type="text/xml")


@csrf_exempt
@require_POST
@twilio_signature_required
def reminder_call(request: HttpRequest) -> HttpResponse:
    return _twiml(
        call_twiml.reminder_call_answer(
            message_ref=request.GET.get("m", ""),
            attempt_ref=request.GET.get("a", ""),
            answered_by=request.POST.get("AnsweredBy", ""),
        )
    )


@csrf_exempt
@require_POST
@twilio_signature_required
def reminder_call_key(request: HttpRequest) -> HttpResponse:
    return _twiml(
        call_twiml.reminder_call_key(
            message_ref=request.GET.get("m", ""),
            attempt_ref=request.GET.get("a", ""),
            digits=request.POST.get("Digits", ""),
        )
    )


@csrf_exempt
@require_POST
@twilio_signature_required
def reminder_call_status(request: HttpRequest) -> HttpResponse:
    refused = calls.call_status_record(
        message_ref=request.GET.get("m", ""), attempt_ref=request.GET.get("a", ""), params=request.POST.dict()
    )
    if refused:
        return HttpResponse(f"Refused: {refused}.\n", status=400, content_type="text/plain")
    return HttpResponse(status=204)
