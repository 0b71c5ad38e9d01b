"""Twilio's voice webhooks: check the signature, let the services answer, return TwiML. Nothing else.

Every URL is signature-checked exactly as the SMS webhooks are (messaging.views), against
PUBLIC_BASE_URL + path and query. A malformed request is answered 400 with a line of text,
never a 500 and never invalid TwiML.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.twilio_signature import twilio_signature_required
from voice import services, twiml
from voice.models import CallStep


def _twiml(xml: str) -> HttpResponse:
    return HttpResponse(xml, content_type="text/xml")


def _refused(reason: str) -> HttpResponse:
    return HttpResponse(f"Refused: {reason}.\n", status=400, content_type="text/plain")


@csrf_exempt
@require_POST
@twilio_signature_required
def incoming(request: HttpRequest) -> HttpResponse:
    """Twilio's "A call comes in"."""
    params = request.POST.dict()
    problem = services.request_problem(params)
    if problem:
        return _refused(problem)
    return _twiml(twiml.render(services.call_incoming(params=params)))


def _step(where: str) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    @twilio_signature_required
    def step(request: HttpRequest) -> HttpResponse:
        params = request.POST.dict()
        problem = services.request_problem(params)
        if problem:
            return _refused(problem)
        answer = services.call_step(where=where, query=request.GET.dict(), params=params)
        if isinstance(answer, str):
            return _refused(answer)
        return _twiml(twiml.render(answer))

    step.__name__ = f"{where}_step"
    return step


language = _step(CallStep.Where.LANGUAGE)
menu = _step(CallStep.Where.MENU)
topic = _step(CallStep.Where.TOPIC)


@csrf_exempt
@require_POST
@twilio_signature_required
def status(request: HttpRequest) -> HttpResponse:
    problem = services.call_status_update(params=request.POST.dict())
    if problem:
        return _refused(problem)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
@twilio_signature_required
def fallback(request: HttpRequest) -> HttpResponse:
    """Twilio's fallback URL: an apology from code alone (no database, no Redis), so a caller
    never hears Twilio's generic error when the service cannot answer."""
    return _twiml(twiml.apology())
