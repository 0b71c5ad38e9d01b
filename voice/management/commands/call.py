"""Call the phone menu from a terminal: what the caller hears, with its language and voice.

    python manage.py call +32470123456            keys or words from the keyboard
    python manage.py call +32470123456 2 1 2      these keys in order, then the transcript
    python manage.py call anonymous 4 say:cramp - 0

A key is 0-9, # or *; `-` is saying nothing; `say:words` (or any longer argument) is
spoken words. The call goes through the real views, signed as Twilio signs. A text copy
(2 after a topic) is sent by a running worker (./run), or with no worker (or --inline) by
this process, and printed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from messaging import outbound
from messaging.models import Message
from project.celery import app as celery_app
from voice.models import CallStep
from voice.simulation import SimulatedCall, Turn

KEYS = set("0123456789#*")


class Command(BaseCommand):
    help = "Call the phone menu as if from a phone, and print what the caller hears."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("caller", help="the number calling, such as +32470123456 (or anonymous)")
        parser.add_argument("inputs", nargs="*", help="keys (2), words (say:crampe) or - for silence")
        parser.add_argument("--to", default="", help="our number it calls (default TWILIO_FROM_NUMBER)")
        parser.add_argument("--inline", action="store_true", help="send text copies in this process, without a worker")

    def handle(self, *args: Any, **options: Any) -> None:
        call = SimulatedCall(options["caller"])
        self._shown: set[int] = set()
        if options["to"]:
            call.to = options["to"]
        self._inline = options["inline"] or not self._worker_running()
        queue_log = logging.getLogger("messaging.tasks")
        queue_log.disabled = self._inline  # queueing may fail here, and this command sends text copies itself
        try:
            self._play(call, list(options["inputs"]))
        finally:
            queue_log.disabled = False

    def _play(self, call: SimulatedCall, scripted: list[str]) -> None:
        self.stdout.write(f"☎ {call.caller} calls {call.to}")
        try:
            turn = call.start()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self._show(turn)
        interactive = not scripted
        while not turn.hung_up:
            if scripted:
                entry: str | None = scripted.pop(0)
            elif interactive:
                entry = self._ask(turn)
            else:
                entry = None
            if entry is None:
                self.stdout.write("(you hang up)")
                break
            turn = self._answer(call, turn, entry)
            self._show(turn)
            self._texts(call)
        row = Message.objects.filter(provider_sid=call.sid).first()
        if row is not None:
            self.stdout.write(
                f"call recorded as message {row.pk} ({row.call_steps.count()} steps, language {row.language or '-'})"
            )

    def _answer(self, call: SimulatedCall, turn: Turn, entry: str) -> Turn:
        if entry in ("", "-"):
            self.stdout.write("> (nothing)")
            return call.silence()
        if entry in KEYS:
            self.stdout.write(f"> presses {entry}")
            return call.press(entry)
        words = entry.removeprefix("say:")
        if not turn.listens_to_words:
            self.stdout.write(f"> says {words!r} (this menu listens for keys only: nothing heard)")
            return call.silence()
        self.stdout.write(f"> says {words!r}")
        return call.say(words)

    def _ask(self, turn: Turn) -> str | None:
        listens = f"a key, or words ({turn.speech_language})" if turn.listens_to_words else "a key"
        try:
            entry = input(f"  [{listens}; Enter: nothing; q: hang up] > ").strip()
        except EOFError:
            return None
        return None if entry.lower() == "q" else entry or "-"

    def _show(self, turn: Turn) -> None:
        for said in turn.said:
            self.stdout.write(f"  [{said.language} {said.voice}] {said.text}")
        if turn.hung_up:
            self.stdout.write("  (hangs up)")

    def _texts(self, call: SimulatedCall) -> None:
        """Text copies this call asked for and not yet shown: sent here when no worker runs."""
        steps = CallStep.objects.filter(call__provider_sid=call.sid, text_message__isnull=False)
        for message_id in steps.exclude(text_message_id__in=self._shown).values_list("text_message_id", flat=True):
            assert message_id is not None
            self._shown.add(message_id)
            if self._inline:
                outbound.message_send(message_id=message_id)
            copy = Message.objects.get(pk=message_id)
            self.stdout.write(f"  → text message to {copy.phone_number} [{copy.language}, {copy.state}]\n{copy.body}")

    def _worker_running(self) -> bool:
        try:
            return bool(celery_app.control.ping(timeout=1.0))
        except Exception:  # the broker itself is unreachable
            return False
