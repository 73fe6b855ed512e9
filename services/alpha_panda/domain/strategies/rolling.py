"""Fixed-length price windows with running sums, so each tick costs O(1)."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

ZERO = Decimal(0)


class RollingWindow:
    """Keep the last `length` prices with their running sum and sum of squares.

    Decimal sums of prices with few decimals stay exact, so removing the oldest value never
    drifts the way a float running sum does. Squares are kept beside the values so an
    eviction costs no multiplication.
    """

    __slots__ = ("_squares", "_values", "length", "scale", "total", "total_squares")

    def __init__(self, length: int) -> None:
        self.length = length
        # The length as a Decimal: Decimal * Decimal is faster than Decimal * int, as exact.
        self.scale = Decimal(length)
        self._values: deque[Decimal] = deque()
        self._squares: deque[Decimal] = deque()
        self.total = ZERO
        self.total_squares = ZERO

    def push(self, value: Decimal) -> Decimal | None:
        """Append a value, dropping the oldest once full.

        Return n² times the population variance once the window is full (exact, since it is
        n·Σx² - (Σx)²), else None.
        """
        values, squares = self._values, self._squares
        total, total_squares = self.total, self.total_squares
        if len(values) == self.length:
            total -= values.popleft()
            total_squares -= squares.popleft()
        square = value * value
        values.append(value)
        squares.append(square)
        self.total = total = total + value
        self.total_squares = total_squares = total_squares + square
        if len(values) < self.length:
            return None
        return self.scale * total_squares - total * total

    def values(self) -> list[str]:
        """Return the window's values as strings, oldest first."""
        return [str(value) for value in self._values]
