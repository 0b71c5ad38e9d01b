"""The newcomer's path: the `sms` command and the embedded Redis behind `./run`."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.management import CommandError, call_command

from messaging.models import Message
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def test_the_sms_command_plays_a_keyword_through_the_whole_path(outbox: list[Any]) -> None:
    out = io.StringIO()
    call_command("sms", "+32470123456", "kramp", "in", "mijn", "kuit", "--inline", stdout=out)

    printed = out.getvalue()
    assert "understood: KRAMP [nl]: cramp" in printed
    assert "Kramp in uw been?" in printed
    assert outbox[0].to == "+32470123456"
    assert Message.objects.get(direction="in").params["Body"] == "kramp in mijn kuit"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sms_command_prints_the_reply_of_a_worker_that_answered_before_it_looked(outbox: list[Any]) -> None:
    # Outside a test transaction the webhook's task runs at once (eagerly), like a worker
    # that finishes before the command reads the message back.
    out = io.StringIO()
    call_command("sms", "+32470123456", "KRAMP", "--inline", stdout=out)

    printed = out.getvalue()
    assert "not answered" not in printed
    assert "understood: KRAMP [nl]: cramp" in printed
    assert "Kramp in uw been?" in printed
    assert len(outbox) == 1


def test_the_sms_command_says_when_a_sender_cannot_be_answered() -> None:
    out = io.StringIO()
    call_command("sms", "INFO", "KRAMP", "--inline", stdout=out)

    assert "not answered: sender is not a phone number" in out.getvalue()


def test_the_development_superuser_is_refused_in_production(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DJANGO_DEBUG=1"):
        call_command("ensure_dev_admin")


def test_the_embedded_redis_from_the_wheel_starts_and_answers() -> None:
    from project.dev import start_redis

    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = start_redis(port, Path(directory))
        try:
            client = redis.Redis(port=port)
            assert client.ping()
            assert client.info("server")["redis_version"].startswith("6.")
        finally:
            process.terminate()
            process.wait(timeout=10)
