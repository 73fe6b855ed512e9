"""A token bucket driven by exchange time, with JSON-able state."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

MICROSECONDS = Decimal(1_000_000)


def _seconds(delta: timedelta) -> Decimal:
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return microseconds / MICROSECONDS


class TokenBucket:
    """Allow `rate` actions per second with bursts of up to `capacity`.

    Time comes from the events, not the wall clock; an instant earlier than the last one
    (ticks of different instruments can interleave slightly out of order) refills nothing.
    """

    def __init__(self, rate: Decimal, capacity: int) -> None:
        self.rate = rate
        self.capacity = Decimal(capacity)
        self.tokens = self.capacity
        self.updated_at: datetime | None = None

    def try_take(self, now: datetime) -> bool:
        """Take one token at `now` if one is available; return whether it was."""
        if self.updated_at is None:
            self.updated_at = now
        elif now > self.updated_at:
            refill = _seconds(now - self.updated_at) * self.rate
            self.tokens = min(self.capacity, self.tokens + refill)
            self.updated_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def to_dict(self) -> dict[str, Any]:
        """Return the bucket's state as JSON-able data."""
        return {
            "tokens": str(self.tokens),
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore the state written by `to_dict`."""
        self.tokens = Decimal(data["tokens"])
        updated = data["updated_at"]
        self.updated_at = None if updated is None else datetime.fromisoformat(updated)
