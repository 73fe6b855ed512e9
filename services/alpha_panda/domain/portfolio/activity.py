"""What each strategy did on the current IST trading day: orders placed, fills booked, and when
it last signalled. The day moves on with the first event stamped on a later day."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from alpha_panda.domain.values import ist_date


class Activity:
    """Counts of the current trading day per strategy, and each strategy's last signal time."""

    __slots__ = ("_fills", "_last_signal", "_orders", "day")

    def __init__(self) -> None:
        self.day = ""
        """The IST date (YYYY-MM-DD) the counts belong to; empty before the first event."""
        self._orders: Counter[str] = Counter()
        self._fills: Counter[str] = Counter()
        self._last_signal: dict[str, datetime] = {}

    def order(self, strategy_id: str, at: datetime) -> None:
        """Count an order placed at `at` (a late event of an earlier day counts nowhere)."""
        if self._is_today(at):
            self._orders[strategy_id] += 1

    def fill(self, strategy_id: str, at: datetime) -> None:
        """Count a fill booked at `at`."""
        if self._is_today(at):
            self._fills[strategy_id] += 1

    def signal(self, strategy_id: str, at: datetime) -> None:
        """Remember when a strategy signalled; the latest time wins whatever the arrival order."""
        self._is_today(at)
        last = self._last_signal.get(strategy_id)
        if last is None or at > last:
            self._last_signal[strategy_id] = at

    def of(self, strategy_id: str) -> tuple[int, int, datetime | None]:
        """Return orders today, fills today and the last signal time of a strategy."""
        last = self._last_signal.get(strategy_id)
        return self._orders[strategy_id], self._fills[strategy_id], last

    def strategy_ids(self) -> set[str]:
        """Return the strategies with any activity on record."""
        return set(self._orders) | set(self._fills) | set(self._last_signal)

    def dump(self) -> dict[str, Any]:
        """Return the state as JSON-able data."""
        return {
            "day": self.day,
            "orders": dict(self._orders),
            "fills": dict(self._fills),
            "last_signal": {sid: at.isoformat() for sid, at in self._last_signal.items()},
        }

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Activity:
        """Return the activity `dump` saved (an empty one for None)."""
        activity = cls()
        if data:
            activity.day = data["day"]
            activity._orders.update(data["orders"])
            activity._fills.update(data["fills"])
            activity._last_signal = {
                sid: datetime.fromisoformat(at) for sid, at in data["last_signal"].items()
            }
        return activity

    def _is_today(self, at: datetime) -> bool:
        day = ist_date(at)
        if day > self.day:
            self.day = day
            self._orders.clear()
            self._fills.clear()
        return day == self.day
