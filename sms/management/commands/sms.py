"""Play an inbound SMS through the whole path and print the reply.

    python manage.py sms +32470123456 KRAMP in mijn kuit

The message is signed like Twilio's webhook and posted to the webhook view; a running
Celery worker (./run) answers it through the configured SMS backend. With no worker
running, or with --inline, this process handles it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory

from messaging.models import Message
from project.celery import app as celery_app
from sms import tasks
from sms.simulation import inbound_sms_params, twilio_signature
from sms.views import inbound_sms

WEBHOOK_PATH = "/twilio/sms/"


class Command(BaseCommand):
    help = "Send a text message to the service as if from a phone, and print what it answers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("sender", help="the phone number it comes from, such as +32470123456")
        parser.add_argument("text", nargs="+", help="the message, such as KRAMP")
        parser.add_argument("--to", default="", help="our number it is sent to (default TWILIO_FROM_NUMBER)")
        parser.add_argument("--inline", action="store_true", help="handle it in this process, without a worker")
        parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for a worker's reply")

    def handle(self, *args: Any, **options: Any) -> None:
        params = inbound_sms_params(
            sender=options["sender"],
            body=" ".join(options["text"]),
            to=options["to"] or settings.TWILIO_FROM_NUMBER,
            account_sid=settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
        )
        url = settings.PUBLIC_BASE_URL + WEBHOOK_PATH
        signature = twilio_signature(url, params, auth_token=settings.TWILIO_AUTH_TOKEN)
        request = RequestFactory().post(WEBHOOK_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)
        inline = options["inline"] or not self._worker_running()
        queue_log = logging.getLogger("messaging.tasks")
        queue_log.disabled = inline  # queueing may fail here, and this command handles it itself
        try:
            response = inbound_sms(request)
        finally:
            queue_log.disabled = False
        inbound = Message.objects.filter(provider_sid=params["MessageSid"]).first()
        if inbound is None:
            raise CommandError(f"The webhook answered {response.status_code}: {response.content.decode()[:200]}")
        self.stdout.write(f"← {inbound.phone_number}: {inbound.body!r} (webhook answered {response.status_code})")
        if inbound.state in (Message.State.REJECTED, Message.State.IGNORED):
            self.stdout.write(f"  not answered: {inbound.note}")
            return

        if inline and inbound.state == Message.State.RECEIVED:
            if not options["inline"]:
                self.stdout.write("  no Celery worker answers: handling it in this process")
            tasks.process_inbound(inbound.pk)
        self._waited = options["wait"]
        self._print_reply(inbound, deadline=time.monotonic() + options["wait"])

    def _worker_running(self) -> bool:
        try:
            return bool(celery_app.control.ping(timeout=1.0))
        except Exception:  # the broker itself is unreachable
            return False

    def _print_reply(self, inbound: Message, *, deadline: float) -> None:
        settled = {Message.State.SUBMITTED, Message.State.FAILED, Message.State.GAVE_UP, Message.State.CANCELLED}
        while True:
            # The reply first, then the inbound row: the worker commits the inbound message's
            # outcome before its reply can be sent, so a sent reply is never read beside a
            # stale inbound row (which printed a blank "understood:").
            reply = inbound.replies.first()
            inbound.refresh_from_db()
            if (reply and reply.state in settled) or (inbound.state != Message.State.RECEIVED and not reply):
                break
            if time.monotonic() > deadline:
                state = reply.state if reply else inbound.state
                self.stdout.write(
                    f"  stopped waiting after {self._waited:.0f} s: the message is {state}"
                    " (is the worker running? ./run in another terminal)"
                )
                return
            time.sleep(0.1)
        self.stdout.write(f"  understood: {inbound.note}")
        if reply is None:
            self.stdout.write("  no reply sent")
            return
        self.stdout.write(
            f"→ {reply.phone_number} [{reply.language}, {reply.encoding}, {reply.segments} segment(s),"
            f" {reply.state}]\n{reply.body}"
        )
