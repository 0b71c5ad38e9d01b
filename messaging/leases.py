"""At most N bulk senders at once, across all workers and machines: leases in Redis.

A sender chain holds one of SMS_BULK_SENDERS numbered leases while it runs and passes it
to its next task; a lease whose holder died expires after LEASE_SECONDS. Bounding the
senders bounds how far ahead the rate limiter's slots are reserved, so a claimed message
is always sent within seconds of its claim (long before the sweeper would think it lost).
"""

from __future__ import annotations

import secrets

from django.conf import settings

from messaging.redis import redis_client

LEASE_SECONDS = 30
KEY_PREFIX = "bulk-sender:"

# KEYS[1]: the lease; ARGV[1]: the holder's token; ARGV[2]: milliseconds to keep it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def acquire() -> str | None:
    """Take a free lease; returns "index:token", or None when all are held."""
    client = redis_client()
    token = secrets.token_hex(8)
    for index in range(settings.SMS_BULK_SENDERS):
        if client.set(f"{KEY_PREFIX}{index}", token, nx=True, ex=LEASE_SECONDS):
            return f"{index}:{token}"
    return None


def renew(lease: str) -> bool:
    """Keep a lease this sender holds; False if it expired and someone else took it."""
    index, token = lease.split(":", 1)
    client = redis_client()
    return bool(client.eval(_RENEW, 1, f"{KEY_PREFIX}{index}", token, LEASE_SECONDS * 1000))


def release(lease: str) -> None:
    index, token = lease.split(":", 1)
    redis_client().eval(_RELEASE, 1, f"{KEY_PREFIX}{index}", token)
