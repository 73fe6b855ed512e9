"""Pace Kite Connect requests under Kite's rate limits, so that an HTTP 429 is the exception.

Kite counts requests per API key and rate class: orders (place, modify, cancel) 10/s, quotes
1/s, historical candles 3/s, every other endpoint 10/s; order placements are also capped per
minute and per day (400 and 5,000 as Kite's support states the limits in 2025; earlier
statements said 200 and 3,000, so both caps are settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from alpha_panda.domain.values import IST


class RateClass(StrEnum):
    """The endpoint classes Kite limits separately."""

    ORDERS = "orders"
    QUOTE = "quote"
    HISTORICAL = "historical"
    OTHER = "other"


CLIENT_METHOD_CLASSES: Mapping[str, RateClass] = {
    "place_order": RateClass.ORDERS,
    "modify_order": RateClass.ORDERS,
    "cancel_order": RateClass.ORDERS,
    "exit_order": RateClass.ORDERS,
    "quote": RateClass.QUOTE,
    "ltp": RateClass.QUOTE,
    "ohlc": RateClass.QUOTE,
    "historical_data": RateClass.HISTORICAL,
}
"""The rate class of each official client method Kite does not count as "other"."""
PLACEMENTS = frozenset({"place_order"})


def rate_class_of(method_name: str) -> RateClass:
    """Return the rate class Kite counts a call of the official client's method in."""
    return CLIENT_METHOD_CLASSES.get(method_name, RateClass.OTHER)


@dataclass(frozen=True)
class KiteRateLimits:
    """Kite's documented request limits, and how far under them the pacer keeps."""

    per_second: Mapping[RateClass, int] = field(
        default_factory=lambda: {
            RateClass.ORDERS: 10,
            RateClass.QUOTE: 1,
            RateClass.HISTORICAL: 3,
            RateClass.OTHER: 10,
        }
    )
    placements_per_minute: int = 400
    placements_per_day: int = 5000
    margin_seconds: float = 0.05
    """Added to every window: requests sent a window apart may arrive slightly closer."""

    def __post_init__(self) -> None:
        for name, value in (
            *((f"per_second[{key}]", count) for key, count in self.per_second.items()),
            ("placements_per_minute", self.placements_per_minute),
            ("placements_per_day", self.placements_per_day),
        ):
            if value < 1:
                raise ValueError(f"Kite rate limit {name} must be at least 1, got {value}")
        if self.margin_seconds < 0:
            raise ValueError("margin_seconds must not be negative")


class DailyOrderCapReachedError(Exception):
    """The day's order placements are used up: waiting cannot help until the next IST day."""


class SlidingWindow:
    """At most `limit` requests in any `seconds`-long window, wherever they reach the server.

    A request is counted from its admission until `seconds` after its answer: the server saw
    it somewhere in between, so a new request is admitted only while fewer than `limit` are
    in flight or answered within the last `seconds`. However long a request waits in a
    thread pool or on the network, no window at the server then holds more than `limit`.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.in_flight = 0
        self._answered: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Return how long until one more request fits: 0 now, `inf` until one is answered."""
        while self._answered and now - self._answered[0] >= self.seconds:
            self._answered.popleft()
        if self.in_flight + len(self._answered) < self.limit:
            return 0.0
        if not self._answered:
            return math.inf
        return self._answered[0] + self.seconds - now

    def admit(self) -> None:
        """Count a request sent."""
        self.in_flight += 1

    def answer(self, now: float) -> None:
        """Count a request answered (or failed) at `now`."""
        self.in_flight -= 1
        self._answered.append(now)


class RequestPacer:
    """Make each Kite request wait for its turn in its rate class; FIFO within a class.

    One pacer serves every client of an API key in the process. Kite counts across processes
    too, so the services sharing a key share its limits: the trading engine is the one that
    sends orders, the others read rarely.
    """

    def __init__(
        self,
        limits: KiteRateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        today: Callable[[], date] = lambda: datetime.now(UTC).astimezone(IST).date(),
    ) -> None:
        self.limits = limits or KiteRateLimits()
        self._monotonic = monotonic
        self._sleep = sleep
        self._today = today
        margin = self.limits.margin_seconds
        self._windows = {
            rate_class: SlidingWindow(count, 1.0 + margin)
            for rate_class, count in self.limits.per_second.items()
        }
        self._per_minute = SlidingWindow(self.limits.placements_per_minute, 60.0 + margin)
        self._locks = {rate_class: asyncio.Lock() for rate_class in RateClass}
        self._answered = asyncio.Event()
        self._day: date | None = None
        self._placed_today = 0
        self.waited_seconds = 0.0

    @contextlib.asynccontextmanager
    async def turn(self, rate_class: RateClass, placement: bool = False) -> AsyncIterator[None]:
        """Wait until a request of `rate_class` is within every limit; send it in the block.

        A placement also counts against the per-minute and per-day caps; past the day's cap
        `DailyOrderCapReachedError` is raised at once, nothing counted.
        """
        windows = await self._admit(rate_class, placement)
        try:
            yield
        finally:
            now = self._monotonic()
            for window in windows:
                window.answer(now)
            self._answered.set()

    async def _admit(self, rate_class: RateClass, placement: bool) -> list[SlidingWindow]:
        async with self._locks[rate_class]:
            if placement:
                self._check_day()
            windows = [self._windows[rate_class]] if rate_class in self._windows else []
            if placement:
                windows.append(self._per_minute)
            while True:
                self._answered.clear()
                pause = max((window.wait(self._monotonic()) for window in windows), default=0.0)
                if pause <= 0:
                    break
                if math.isinf(pause):
                    await self._answered.wait()
                    continue
                self.waited_seconds += pause
                await self._sleep(pause)
            for window in windows:
                window.admit()
            if placement:
                self._placed_today += 1
            return windows

    def _check_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._placed_today = today, 0
        if self._placed_today >= self.limits.placements_per_day:
            raise DailyOrderCapReachedError(
                f"the day's {self.limits.placements_per_day} Kite order placements are used up"
            )
