"""The try-it phone's pages: in the admin (any staff member), and without signing in where
TRY_IT_PUBLIC is on (the embedded default, DJANGO_DEBUG=1). Thin: tryit.services does the work."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from messaging.simulated import is_simulated_number, simulated_number
from tryit import services

SESSION_KEY = "tryit_number"


def _number(request: HttpRequest) -> str:
    """The phone's number: chosen for this session, else the admin's own, else a new one."""
    number = request.session.get(SESSION_KEY, "")
    if not is_simulated_number(number):
        user: Any = request.user
        seed = user.pk if user.is_authenticated else 900_000 + secrets.randbelow(100_000)
        number = simulated_number(seed)
        request.session[SESSION_KEY] = number
    return str(number)


def _thread(request: HttpRequest) -> JsonResponse:
    number = _number(request)
    bubbles = [
        {
            "id": bubble.id,
            "incoming": bubble.incoming,
            "text": bubble.text,
            "at": timezone.localtime(bubble.at).strftime("%H:%M"),
            "note": bubble.note,
        }
        for bubble in services.thread(number=number)
    ]
    return JsonResponse({"number": number, "messages": bubbles})


def _page(request: HttpRequest, template: str, prefix: str, context: dict[str, Any]) -> HttpResponse:
    return render(
        request,
        template,
        {
            **context,
            "number": _number(request),
            "send_url": reverse(f"{prefix}-send"),
            "thread_url": reverse(f"{prefix}-thread"),
            "new_url": reverse(f"{prefix}-new"),
        },
    )


def _send(request: HttpRequest) -> JsonResponse:
    text = request.POST.get("text", "").strip()
    if text:
        services.sms_try(sender=_number(request), text=text)
    return _thread(request)


def _new(request: HttpRequest) -> JsonResponse:
    request.session[SESSION_KEY] = simulated_number(secrets.randbelow(1_000_000))
    return _thread(request)


# --- In the admin (admin_site.admin_view around each: staff only) ---------------------------


@require_GET
def admin_phone(request: HttpRequest) -> HttpResponse:
    from django.contrib import admin

    context = {**admin.site.each_context(request), "title": _title()}
    return _page(request, "tryit/admin_phone.html", "tryit-admin", context)


@require_POST
def admin_send(request: HttpRequest) -> JsonResponse:
    return _send(request)


@require_GET
def admin_thread(request: HttpRequest) -> JsonResponse:
    return _thread(request)


@require_POST
def admin_new(request: HttpRequest) -> JsonResponse:
    return _new(request)


# --- Without signing in: the embedded default only ----------------------------------------


def _public_only(request: HttpRequest) -> None:
    if not settings.TRY_IT_PUBLIC:
        raise Http404


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    _public_only(request)
    return redirect("tryit-public")


@require_GET
def public_phone(request: HttpRequest) -> HttpResponse:
    _public_only(request)
    context = {
        "title": _title(),
        "admin_url": settings.ADMIN_URL if settings.ADMIN_ENABLED else "",
        "dev_admin": settings.DEBUG,  # ensure_dev_admin's account exists only there
    }
    return _page(request, "tryit/public_phone.html", "tryit-public", context)


@require_POST
def public_send(request: HttpRequest) -> JsonResponse:
    _public_only(request)
    return _send(request)


@require_GET
def public_thread(request: HttpRequest) -> JsonResponse:
    _public_only(request)
    return _thread(request)


@require_POST
def public_new(request: HttpRequest) -> JsonResponse:
    _public_only(request)
    return _new(request)


def _title() -> str:
    from django.utils.translation import gettext

    return gettext("Try it: the service on a phone")
