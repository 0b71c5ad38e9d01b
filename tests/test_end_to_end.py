"""The real path: webhook view -> Redis -> a real `celery -A project worker` -> the real twilio client.

The worker is a separate process started exactly as in production, on the production
settings module with a production environment (debug off), sharing the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from messaging.models import Message
from project.celery import app as celery_app
from tests.conftest import INBOUND_PATH, STATUS_PATH, inbound_params, post_signed, real_broker
from tests.support.fake_twilio import FakeTwilio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent
# The production command, quieter: no heartbeats or peer chatter with a single worker.
WORKER_COMMAND = [
    *["celery", "-A", "project", "worker", "-l", "info", "-c", "2"],
    *["--without-heartbeat", "--without-mingle", "--without-gossip"],
]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def twilio_stub() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid="AC" + "0" * 32, auth_token="test-auth-token").start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup: Any, django_db_blocker: Any, redis_url: str, twilio_stub: FakeTwilio) -> Iterator[str]:
    with django_db_blocker.unblock():
        url = database_url()
    environ = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")},
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "e2e-secret",
        "DJANGO_ALLOWED_HOSTS": "cramps.example.org",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "TWILIO_FROM_NUMBER": "+3225550100",
        "TWILIO_API_BASE_URL": twilio_stub.url,
        "PYTHONUNBUFFERED": "1",
    }
    with real_broker(redis_url):
        celery_app.control.purge()  # nothing left over from an earlier run
    process = subprocess.Popen(
        [sys.executable, "-m", *WORKER_COMMAND],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        pytest.fail("the Celery worker did not start:\n" + "".join(output[-40:]))
    yield redis_url
    process.terminate()
    process.wait(timeout=30)
    assert "Traceback" not in "".join(output), "".join(output)


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_a_keyword_goes_through_redis_and_a_real_worker_to_twilio(
    client: Client, worker: str, twilio_stub: FakeTwilio
) -> None:
    twilio_stub.received.clear()
    params = inbound_params(sender="+32470111222", body="kramp in mijn kuit")
    with real_broker(worker):
        response = post_signed(client, INBOUND_PATH, params)
    assert response.status_code == 200

    [request] = twilio_stub.wait_for_creates(1)
    reply = wait_for(lambda: Message.objects.filter(direction="out", state=Message.State.SUBMITTED).first())
    assert request.params["To"] == "+32470111222"
    assert request.params["From"] == "+3225550100"
    assert request.params["Body"].startswith("Kramp in uw been?")
    assert request.params["StatusCallback"] == f"https://cramps.example.org/twilio/sms/status/?m={reply.pk}"
    assert request.violations == []
    assert reply.provider_sid == twilio_stub.accepted[-1]["sid"]

    callback = {"MessageSid": reply.provider_sid, "MessageStatus": "delivered"}
    assert post_signed(client, f"{STATUS_PATH}?m={reply.pk}", callback).status_code == 204
    reply.refresh_from_db()
    assert reply.provider_status == "delivered"


def test_replays_and_duplicate_tasks_through_the_real_worker_send_once(
    client: Client, worker: str, twilio_stub: FakeTwilio
) -> None:
    from messaging import tasks

    twilio_stub.received.clear()
    params = inbound_params(sender="+32470333444", body="CRAMPE")
    with real_broker(worker):
        for _ in range(3):
            post_signed(client, INBOUND_PATH, params)
        inbound = Message.objects.get(provider_sid=params["MessageSid"])
        for _ in range(20):
            tasks.process_inbound.delay(inbound.pk)

    twilio_stub.wait_for_creates(1)
    time.sleep(1.0)  # room for any duplicate to arrive
    assert len(twilio_stub.creates()) == 1
    assert Message.objects.filter(reply_to=inbound).count() == 1
