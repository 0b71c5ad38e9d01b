"""The service's own Redis connection (rate limits, sender leases): one pool per process.

Short timeouts and no retries (redis-py retries three times by default): a reply counts
against the rate without ever waiting for it, and a bulk sender whose reservation fails
hands its batch back; neither may hang on a Redis that accepts connections and never answers.
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_client() -> redis.Redis:
    """The client for settings.REDIS_URL (a test that changes the setting gets its own pool)."""
    return _client_for(settings.REDIS_URL)


@lru_cache(maxsize=8)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
