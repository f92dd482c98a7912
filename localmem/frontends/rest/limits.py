"""Per-key request limits: a token bucket (rate and burst) and a cap on requests in flight.

Both refuse with ``RateLimitError`` (429) instead of queueing: a refused request costs the server
nothing, while a queued one would hold a worker thread and wait on the memory's lock ahead of
other keys' requests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from localmem.errors import RateLimitError

__all__ = ["KeyLimiter"]


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    in_flight: int = 0


class KeyLimiter:
    """Admits a key's request, or raises ``RateLimitError`` saying when to retry.

    Thread-safe: requests of one key may arrive on several threads (and event loops).
    ``clock`` is seconds on a monotonic scale (a fake in tests).
    """

    def __init__(
        self, rate: float, burst: int, max_concurrent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.max_concurrent = rate, burst, max_concurrent
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> None:
        """Take one token and one in-flight slot for ``key_id``; pair it with ``release``.

        Raises:
            RateLimitError: the key has ``max_concurrent`` requests in flight, or no token left.
        """
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key_id, _Bucket(float(self.burst), now))
            if bucket.in_flight >= self.max_concurrent:
                raise RateLimitError(
                    f"this API key already has {bucket.in_flight} requests in flight, the most the "
                    "server allows at once; wait for one to finish (`localmem serve "
                    "--max-concurrent` raises the cap)", retry_after=1.0)
            if self.rate > 0:
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
                bucket.stamp = now
                if bucket.tokens < 1:
                    wait = math.ceil((1 - bucket.tokens) / self.rate)
                    raise RateLimitError(
                        f"this API key is over its rate limit of {self.rate:g} requests a second; "
                        f"retry in {wait} s (`localmem serve --rate-limit` changes the limit)",
                        retry_after=float(wait))
                bucket.tokens -= 1
            bucket.in_flight += 1

    def release(self, key_id: str) -> None:
        """Give back the in-flight slot ``acquire`` took."""
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is not None and bucket.in_flight > 0:
                bucket.in_flight -= 1
