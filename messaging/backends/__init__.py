"""Channel backends: one interface per channel, the way Django's email backends work.

`get_backend(channel="sms")` returns the backend configured for the channel: the
`<CHANNEL>_BACKEND` setting names one of `<CHANNEL>_BACKENDS` (`twilio` in production,
`console` in development, `locmem` in tests). SMS backends sit behind the simulator's
router, so that messages to the try-it phone's numbers never reach them
(backends/simulator.py). Voice adds its own pair of settings and entry in
CHANNEL_SETTINGS. One instance per process and channel, so HTTP connections are reused; a
change to any of those settings or to a TWILIO_ setting (tests' `override_settings`) drops
the instances through Django's `setting_changed` signal.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from messaging.backends.base import OutgoingSms, SendError, SmsBackend, Submitted

__all__ = ["CHANNEL_SETTINGS", "OutgoingSms", "SendError", "SmsBackend", "Submitted", "get_backend"]

# channel -> (the setting that names its backend, the setting that maps names to classes)
CHANNEL_SETTINGS = {"sms": ("SMS_BACKEND", "SMS_BACKENDS"), "voice": ("VOICE_BACKEND", "VOICE_BACKENDS")}

_backends: dict[str, Any] = {}
_lock = threading.Lock()


def get_backend(channel: str = "sms") -> SmsBackend:
    """The process's backend for `channel`, built on first use (voice: messaging.backends.voice)."""
    backend = _backends.get(channel)
    if backend is None:
        with _lock:
            backend = _backends.get(channel)
            if backend is None:
                chosen, registry = CHANNEL_SETTINGS[channel]
                backend_class = import_string(getattr(settings, registry)[getattr(settings, chosen)])
                backend = backend_class()
                if channel == "sms":
                    from messaging.backends.simulator import SimulatorRouter

                    backend = SimulatorRouter(backend)
                _backends[channel] = backend
    return backend


def _configures_a_backend(name: str) -> bool:
    return name.startswith("TWILIO_") or any(name in pair for pair in CHANNEL_SETTINGS.values())


@receiver(setting_changed)
def _reset_backends(*, setting: str, **kwargs: Any) -> None:
    """A backend reads its settings when built: build it again after they change."""
    if _configures_a_backend(setting):
        with _lock:
            _backends.clear()
