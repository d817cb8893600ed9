"""Per-token request rate limit: a token bucket per token id, in process memory.

Per process on purpose: behind a load balancer with N instances a token gets N
times the rate, which is the usual trade for not adding a shared counter store.
"""
from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key) -> float:
        """0.0 if a request by ``key`` may go now, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
