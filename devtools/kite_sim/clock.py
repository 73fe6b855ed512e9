"""The simulator's exchange clock: IST sessions on a time line that may run faster than real."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from enum import StrEnum

from alpha_panda.backtest.generated_market.hours import MARKET_CLOSE, MARKET_OPEN
from alpha_panda.domain.values import IST

PRE_OPEN_START = time_of_day(9, 0)
TOKEN_EXPIRY_TIME = time_of_day(6, 0)


class SessionPhase(StrEnum):
    """Where the NSE equity session stands."""

    PRE_OPEN = "pre-open"
    OPEN = "open"
    CLOSED = "closed"


def session_phase(instant: datetime) -> SessionPhase:
    """Return the NSE equity session phase at an instant (weekends closed, holidays ignored)."""
    local = instant.astimezone(IST)
    if local.weekday() >= 5:
        return SessionPhase.CLOSED
    moment = local.time()
    if PRE_OPEN_START <= moment < MARKET_OPEN:
        return SessionPhase.PRE_OPEN
    if MARKET_OPEN <= moment < MARKET_CLOSE:
        return SessionPhase.OPEN
    return SessionPhase.CLOSED


def token_expiry(login: datetime) -> datetime:
    """Return when an access token issued at `login` dies: 06:00 IST on the next morning."""
    local = login.astimezone(IST)
    day = local.date() if local.time() < TOKEN_EXPIRY_TIME else local.date() + timedelta(days=1)
    return datetime.combine(day, TOKEN_EXPIRY_TIME, IST).astimezone(UTC)


def default_session_start(now: datetime) -> datetime:
    """Return 09:15 IST of the latest weekday on or before `now`, so a fresh run trades."""
    day = now.astimezone(IST).date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, MARKET_OPEN, IST).astimezone(UTC)


class SimulatedClock:
    """Exchange time that starts at `start` and runs `speed` simulated seconds per real second.

    A speed of 0 freezes the clock; tests then move it with `set` or `advance`.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        if speed < 0:
            raise ValueError("speed must not be negative")
        self._monotonic = monotonic
        self._anchor = start.astimezone(UTC)
        self._anchor_real = monotonic()
        self._speed = speed

    @property
    def speed(self) -> float:
        """Return simulated seconds per real second."""
        return self._speed

    def now(self) -> datetime:
        """Return the current simulated instant (UTC)."""
        elapsed = (self._monotonic() - self._anchor_real) * self._speed
        return self._anchor + timedelta(seconds=elapsed)

    def phase(self) -> SessionPhase:
        """Return the session phase at the current simulated instant."""
        return session_phase(self.now())

    def set(self, instant: datetime) -> None:
        """Jump to an instant; the clock keeps its speed from there."""
        if instant.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware instant")
        self._anchor = instant.astimezone(UTC)
        self._anchor_real = self._monotonic()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by a simulated duration."""
        self.set(self.now() + delta)

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on without a jump in simulated time."""
        if speed < 0:
            raise ValueError("speed must not be negative")
        self.set(self.now())
        self._speed = speed
