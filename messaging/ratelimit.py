"""A global send rate per sender, shared by every worker on every machine through Redis.

Celery's `rate_limit` counts per worker process; Twilio's throughput is per sending number.
This limiter keeps one schedule per sender in Redis (a generic cell rate algorithm): each
caller reserves slots, spaced 1/rate apart on Redis' own clock, and is told how long to
wait for its first one. Reservations are atomic (one Lua script), so two machines never
get the same slot, and their clocks do not matter.

Bulk senders reserve a batch of slots before they claim messages and send each at its
slot. Replies to people never wait: they take a slot at once, which pushes the bulk
schedule back by one slot, so the sender's total still keeps to the rate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

from messaging.redis import redis_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "sms-rate:"
CALLS_KEY_PREFIX = "calls-rate:"

# KEYS[1]: the sender's schedule; ARGV: microseconds per slot, slots wanted.
# Returns microseconds from now until the first reserved slot.
_RESERVE = """
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_free < now then next_free = now end
local after = next_free + interval * wanted
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.floor((after - now) / 1000) + 1000)
return next_free - now
"""


@dataclass
class Reservation:
    """Slots for `count` messages: the first at `start` (time.monotonic), then every `interval` s."""

    start: float
    interval: float
    count: int
    _last: float = float("-inf")

    def slot(self, index: int) -> float:
        return self.start + index * self.interval

    def wait_for(self, index: int) -> None:
        """Sleep until slot `index`, and never less than one interval after the last send:
        a slow first request must not be followed by a burst to catch up."""
        at = max(self.slot(index), self._last + self.interval)
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last = max(at, time.monotonic()) if self.interval else self._last


def unlimited() -> Reservation:
    return Reservation(start=0.0, interval=0.0, count=0)


def _reserve(sender: str, count: int, rate: float, *, prefix: str = KEY_PREFIX) -> float:
    """Seconds until the first of `count` slots reserved for `sender`."""
    client = redis_client()
    micros = client.eval(_RESERVE, 1, prefix + sender, int(1_000_000 / rate), count)
    return int(micros) / 1_000_000


def reserve(sender: str, count: int) -> Reservation:
    """Reserve `count` send slots for a bulk sender (raises redis errors: bulk work waits)."""
    rate = settings.SMS_RATE_LIMIT_PER_SECOND
    if rate <= 0 or count <= 0:
        return unlimited()
    wait = _reserve(sender, count, rate)
    return Reservation(start=time.monotonic() + wait, interval=1.0 / rate, count=count)


def reserve_calls(count: int) -> Reservation:
    """Reserve `count` call slots at VOICE_CALLS_PER_SECOND (raises redis errors: calls wait).

    Twilio counts calls per second per account, whichever number places them: one schedule
    per account, apart from the SMS senders' (calls and texts have separate limits).
    """
    rate = settings.VOICE_CALLS_PER_SECOND
    if rate <= 0 or count <= 0:
        return unlimited()
    wait = _reserve(settings.TWILIO_ACCOUNT_SID or "default", count, rate, prefix=CALLS_KEY_PREFIX)
    return Reservation(start=time.monotonic() + wait, interval=1.0 / rate, count=count)


def take_now(sender: str) -> None:
    """Count one reply against the sender's rate without waiting; never fails the reply."""
    rate = settings.SMS_RATE_LIMIT_PER_SECOND
    if rate <= 0:
        return
    try:
        _reserve(sender, 1, rate)
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable (%s): reply sent without counting it", exc)


def sender_key(service_number: str) -> str:
    """What Twilio limits: the messaging service when one is used, else the sending number."""
    return settings.TWILIO_MESSAGING_SERVICE_SID or service_number or settings.TWILIO_FROM_NUMBER or "default"
