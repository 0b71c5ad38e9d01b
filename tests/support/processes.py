"""Real worker processes for end-to-end tests: started as in production, killed as machines die."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from project.celery import app as celery_app
from tests.conftest import real_broker

ROOT = Path(__file__).resolve().parents[2]
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


@dataclass
class Worker:
    process: subprocess.Popen[str]
    output: list[str]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a machine dying would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def start_worker(redis_url: str, twilio_url: str, **extra_env: str) -> Worker:
    """`celery -A project worker` in its own process group, on the production settings."""
    with real_broker(redis_url):
        celery_app.control.purge()  # nothing left over from an earlier run
    # Nor tasks a killed worker left unacknowledged: Redis would hand them back an hour later.
    # Tests own this Redis database (the embedded one, or CI's REDIS_URL).
    redis.Redis.from_url(redis_url).delete("unacked", "unacked_index", "unacked_mutex")
    return _start([*WORKER_COMMAND], " ready.", redis_url, twilio_url, extra_env)


def start_beat(redis_url: str, twilio_url: str, schedule_file: Path, **extra_env: str) -> Worker:
    """`celery -A project beat`, as in production (a second one plays a misconfigured deploy)."""
    command = ["celery", "-A", "project", "beat", "-l", "info", "-s", str(schedule_file)]
    return _start(command, "beat: Starting", redis_url, twilio_url, extra_env)


def _start(command: list[str], ready_marker: str, redis_url: str, twilio_url: str, extra_env: dict[str, str]) -> Worker:
    environ = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")},
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "e2e-secret",
        "SUPPRESSION_HMAC_KEY": "test-suppression-key",
        "DJANGO_ALLOWED_HOSTS": "cramps.example.org",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "TWILIO_FROM_NUMBER": "+3225550100",
        "TWILIO_API_BASE_URL": twilio_url,
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if ready_marker in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        pytest.fail(f"{command[3]} did not start:\n" + "".join(output[-40:]))
    return Worker(process, output)


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
