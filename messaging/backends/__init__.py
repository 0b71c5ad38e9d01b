"""SMS backends: one interface, the way Django's email backends work.

`get_backend()` returns the configured backend (settings.SMS_BACKEND): `twilio` in
production, `console` in development, `locmem` in tests; behind the simulator's router, so
that messages to the try-it phone's numbers never reach it (backends/simulator.py).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from messaging.backends.base import OutgoingSms, SendError, SmsBackend, Submitted

__all__ = ["OutgoingSms", "SendError", "SmsBackend", "Submitted", "get_backend"]


@lru_cache(maxsize=4)
def _backend(name: str) -> SmsBackend:
    from messaging.backends.simulator import SimulatorRouter

    backend_class = import_string(settings.SMS_BACKENDS[name])
    return SimulatorRouter(backend_class())


def get_backend() -> SmsBackend:
    # One instance per process and name, so that HTTP connections are reused.
    return _backend(settings.SMS_BACKEND)


get_backend.cache_clear = _backend.cache_clear  # type: ignore[attr-defined]
