"""How a draft reaches a reviewer's own phone: registered with advice.previews when the app is ready."""

from __future__ import annotations

from django.db import transaction

from advice.models import Topic
from contacts.phone import to_e164
from messaging import outbound, tasks


class SmsPreviews:
    """A preview is an outbound row like any other (purpose "preview"), sent by the worker."""

    def number(self, raw: str) -> str | None:
        return to_e164(raw)

    def send(self, *, phone_number: str, body: str, language: str, topic: Topic | None) -> None:
        message = outbound.preview_record(phone_number=phone_number, body=body, language=language, topic=topic)
        transaction.on_commit(lambda: tasks.queue(tasks.send_message, message.pk))
