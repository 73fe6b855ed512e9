"""Faults the simulator can be told to answer the next order placements with, after executing.

What makes a placement's outcome unknown to the client: Kite took the order, then the answer
was a 429, a 5xx or nothing at all. A client must find the order by its tag, not place again.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class PlacementFault(StrEnum):
    """How a placement is answered after the order was executed."""

    RATE_LIMITED = "rate_limited"
    """HTTP 429, as a rate limit would answer (kiteconnect raises `NetworkException`)."""
    SERVER_ERROR = "server_error"
    """HTTP 500 `GeneralException` (kiteconnect raises `GeneralException`, code 500)."""
    DISCONNECT = "disconnect"
    """The connection is dropped without an answer (requests raises `ConnectionError`)."""


class PlacementFaults:
    """The faults armed for the coming placements, one placement each, in arming order."""

    def __init__(self) -> None:
        self._armed: deque[PlacementFault] = deque()

    def arm(self, fault: PlacementFault | str, count: int = 1) -> None:
        """Answer the next `count` placements (after those already armed) with `fault`."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self._armed.extend([PlacementFault(fault)] * count)

    def take(self) -> PlacementFault | None:
        """Return the fault of the placement being answered, if one is armed."""
        return self._armed.popleft() if self._armed else None

    @property
    def pending(self) -> int:
        """Return how many placements still have a fault armed."""
        return len(self._armed)
