"""Fixed-length price windows with running sums, so each tick costs O(1)."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

ZERO = Decimal(0)


class RollingWindow:
    """Keep the last `length` prices with their running sum and sum of squares.

    Decimal sums of prices with few decimals stay exact, so removing the oldest value never
    drifts the way a float running sum does.
    """

    __slots__ = ("_values", "length", "total", "total_squares")

    def __init__(self, length: int) -> None:
        self.length = length
        self._values: deque[Decimal] = deque()
        self.total = ZERO
        self.total_squares = ZERO

    def push(self, value: Decimal) -> None:
        """Append a value, dropping the oldest once the window is full."""
        values = self._values
        if len(values) == self.length:
            oldest = values.popleft()
            self.total -= oldest
            self.total_squares -= oldest * oldest
        values.append(value)
        self.total += value
        self.total_squares += value * value

    def values(self) -> list[str]:
        """Return the window's values as strings, oldest first."""
        return [str(value) for value in self._values]

    @property
    def full(self) -> bool:
        """Return whether the window holds `length` values."""
        return len(self._values) == self.length

    @property
    def oldest(self) -> Decimal:
        """Return the oldest value in the window."""
        return self._values[0]

    def mean(self) -> Decimal:
        """Return the arithmetic mean of the window."""
        return self.total / len(self._values)

    def variance_times_count_squared(self) -> Decimal:
        """Return n² times the population variance, an exact integer-scaled quantity."""
        count = len(self._values)
        return count * self.total_squares - self.total * self.total
