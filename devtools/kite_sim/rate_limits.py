"""Per-API-key request rate limits by endpoint class, over a sliding window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `window_seconds` of real time."""

    requests: int
    window_seconds: float = 1.0


KITE_RATE_LIMITS: Mapping[str, RateLimit] = {
    "orders": RateLimit(10),
    "quote": RateLimit(1),
    "historical": RateLimit(3),
    "other": RateLimit(10),
}
"""Kite Connect's documented limits: orders 10/s, quote 1/s, historical 3/s, the rest 10/s."""


class RateLimiter:
    """Count requests per (API key, endpoint class) and refuse those over the limit."""

    def __init__(
        self,
        limits: Mapping[str, RateLimit] = KITE_RATE_LIMITS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = dict(limits)
        self._monotonic = monotonic
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def allow(self, api_key: str, endpoint_class: str) -> bool:
        """Record a request and return whether it is within the limit."""
        limit = self._limits.get(endpoint_class)
        if limit is None:
            return True
        now = self._monotonic()
        seen = self._seen.setdefault((api_key, endpoint_class), deque())
        while seen and now - seen[0] >= limit.window_seconds:
            seen.popleft()
        if len(seen) >= limit.requests:
            return False
        seen.append(now)
        return True
