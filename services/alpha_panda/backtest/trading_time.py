"""The time axis of a backtest's charts: IST trading sessions laid end to end, nights left out.

A position on the axis is minutes of market time since the first session's 09:15 IST open; each
session is 375 minutes (09:15-15:30), so a two-day backtest spans 750 minutes with no gap for
the night or a weekend. Both the PNG and the HTML report draw on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from alpha_panda.domain.values import IST

SESSION_OPEN = time(9, 15)
SESSION_CLOSE = time(15, 30)
SESSION_MINUTES = 375
HOUR_MARKS = (time(9, 15), *(time(hour) for hour in range(10, 16)), time(15, 30))
"""Where a one-day axis is labelled: the open, every full hour and the close."""


@dataclass(frozen=True)
class AxisMark:
    """A labelled position on the axis."""

    position: float
    label: str


@dataclass(frozen=True)
class TradingTimeAxis:
    """Map exchange instants of the given IST trading days to minutes of market time."""

    days: tuple[date, ...]

    @classmethod
    def spanning(cls, first: datetime, last: datetime) -> TradingTimeAxis:
        """Return the axis of the weekdays from `first`'s IST day to `last`'s, both included."""
        if last < first:
            raise ValueError("the axis ends before it starts")
        day, end = first.astimezone(IST).date(), last.astimezone(IST).date()
        days = []
        while day <= end:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return cls(tuple(days) or (first.astimezone(IST).date(),))

    @property
    def length(self) -> int:
        """Return the axis length in minutes of market time."""
        return SESSION_MINUTES * len(self.days)

    @property
    def single_day(self) -> bool:
        """Tell whether the axis covers one trading day."""
        return len(self.days) == 1

    def position(self, instant: datetime) -> float:
        """Return the axis position of `instant`, clamped into its day's session."""
        local = instant.astimezone(IST)
        index = self._day_index(local.date())
        opening = datetime.combine(self.days[index], SESSION_OPEN, IST)
        minutes = (local - opening).total_seconds() / 60
        return index * SESSION_MINUTES + min(max(minutes, 0.0), float(SESSION_MINUTES))

    def instant(self, position: float) -> datetime:
        """Return the UTC instant at an axis position (the inverse of `position`)."""
        index = min(int(position // SESSION_MINUTES), len(self.days) - 1)
        opening = datetime.combine(self.days[index], SESSION_OPEN, IST)
        offset = position - index * SESSION_MINUTES
        return (opening + timedelta(minutes=offset)).astimezone(UTC)

    def marks(self) -> list[AxisMark]:
        """Return the axis labels: IST hours for one day, each session's open for several."""
        if self.single_day:
            return [AxisMark(self._minutes(mark), mark.strftime("%H:%M")) for mark in HOUR_MARKS]
        return [
            AxisMark(index * SESSION_MINUTES, f"{day:%a %d %b} 09:15")
            for index, day in enumerate(self.days)
        ] + [AxisMark(self.length, "15:30")]

    def minute_ends(self, first: datetime, last: datetime) -> Iterator[datetime]:
        """Yield the end of every market minute from `first` to `last`, and `last` itself."""
        start = self.position(first)
        end = self.position(last)
        minute = float(int(start) + 1)
        while minute < end:
            yield self.instant(minute)
            minute += 1
        yield last.astimezone(UTC)

    def _day_index(self, day: date) -> int:
        if day in self.days:
            return self.days.index(day)
        earlier = [index for index, known in enumerate(self.days) if known < day]
        return earlier[-1] if earlier else 0

    @staticmethod
    def _minutes(mark: time) -> float:
        return float((mark.hour - SESSION_OPEN.hour) * 60 + mark.minute - SESSION_OPEN.minute)
