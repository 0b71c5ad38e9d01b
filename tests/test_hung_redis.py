"""A Redis that accepts connections and never answers must not hold a webhook: the message is stored first,
the sweeper queues it later, and Twilio gets its answer within a second."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from messaging import ratelimit
from messaging.models import Message
from tests.conftest import INBOUND_PATH, inbound_params, post_signed, real_broker
from tests.support.hung_server import HungServer

pytestmark = pytest.mark.django_db

# The webhook must answer within 1 s; the margin absorbs a busy 2-core machine, not a timeout.
WITHIN = 1.5


def test_the_webhook_answers_at_once_while_redis_hangs(
    client: Client, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    with HungServer() as redis, real_broker(redis.url):
        took = []
        for _ in range(2):  # the first connects; the second finds a pooled connection that hangs too
            params = inbound_params(body="KRAMP")
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                response = post_signed(client, INBOUND_PATH, params)
            took.append(time.monotonic() - started)
            assert response.status_code == 200
        assert redis.accepted.is_set()  # it did reach the hung server

    assert max(took) < WITHIN, took
    assert list(Message.objects.values_list("state", flat=True)) == [Message.State.RECEIVED] * 2  # for the sweeper
    assert "the sweeper will queue it once the broker is back" in caplog.text


def test_the_rate_limiter_gives_up_at_once_on_a_hung_redis(settings: Any, caplog: Any) -> None:
    settings.SMS_RATE_LIMIT_PER_SECOND = 10
    with HungServer() as redis:
        settings.REDIS_URL = redis.url
        started = time.monotonic()
        ratelimit.take_now("+3225550100")  # a reply counts against the rate, never waits for it
        took = time.monotonic() - started

    assert took < WITHIN
    assert "rate limiter unavailable" in caplog.text
