"""Sending a draft to a reviewer's own phone, without the content layer knowing how.

`advice` is the lowest layer: it may not import the channels. The outbound layer registers
how a preview is sent (messaging's AppConfig.ready) and the admin's "Send it to my phone"
asks through here.
"""

from __future__ import annotations

from typing import Protocol

from advice.models import Topic


class PreviewSender(Protocol):
    def number(self, raw: str) -> str | None:
        """The reviewer's number as the channel stores numbers (E.164), or None if it is none."""

    def send(self, *, phone_number: str, body: str, language: str, topic: Topic | None) -> None:
        """Record the message and send it once the current transaction commits."""


_sender: PreviewSender | None = None


def preview_sender_register(sender: PreviewSender) -> None:
    global _sender
    _sender = sender


def preview_sender() -> PreviewSender:
    if _sender is None:
        raise LookupError("no channel is installed to send previews")
    return _sender
