"""Mean reversion: fade prices that stray outside Bollinger bands, exit at the mean."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import FLAT, LONG, SHORT, Strategy, StrategyParameters

ZERO = Decimal(0)


class BollingerParameters(StrategyParameters):
    """Bollinger settings: window length in ticks and band width in standard deviations."""

    window: int = Field(default=20, ge=2)
    band_deviations: Decimal = Field(default=Decimal(2), gt=0)


class BollingerState:
    """The last `window` prices of one instrument with their running sum and sum of squares.

    Decimal sums of prices with few decimals stay exact, so dropping the oldest price never
    drifts the way a float running sum does. Squares are kept beside the prices so a drop
    costs no multiplication.
    """

    __slots__ = ("prices", "squares", "total", "total_squares")

    def __init__(self, window: int) -> None:
        self.prices: deque[Decimal] = deque(maxlen=window)
        self.squares: deque[Decimal] = deque(maxlen=window)
        self.total = ZERO
        self.total_squares = ZERO


class BollingerReversionStrategy(Strategy[BollingerParameters, BollingerState]):
    """Buy below the lower band, sell short (or stay flat) above the upper band, and close
    the position once the price is back at the moving average."""

    parameters_model = BollingerParameters

    def __init__(
        self,
        strategy_id: str,
        instruments: Iterable[int | Instrument],
        parameters: BollingerParameters,
    ) -> None:
        super().__init__(strategy_id, instruments, parameters)
        self._window = parameters.window
        # The window as a Decimal: Decimal * Decimal is faster than Decimal * int, as exact.
        self._length = Decimal(parameters.window)
        self._deviations_squared = parameters.band_deviations**2

    def new_state(self) -> BollingerState:
        """Return an empty window of the configured length."""
        return BollingerState(self.parameters.window)

    def dump_state(self, state: BollingerState) -> Any:
        """Return the window's prices, oldest first."""
        return [str(price) for price in state.prices]

    def load_state(self, data: Any) -> BollingerState:
        """Refill a window with the most recent saved prices and recompute its sums."""
        state = self.new_state()
        state.prices.extend(Decimal(price) for price in data)
        state.squares.extend(price * price for price in state.prices)
        state.total = sum(state.prices, ZERO)
        state.total_squares = sum(state.squares, ZERO)
        return state

    def decide(self, state: BollingerState, price: Decimal, position: int) -> int | None:
        """Slide the window and place the price against the bands, compared in squares."""
        prices, squares = state.prices, state.squares
        total, total_squares = state.total, state.total_squares
        if len(prices) == self._window:
            total -= prices[0]  # appending drops it
            total_squares -= squares[0]
        square = price * price
        prices.append(price)
        squares.append(square)
        state.total = total = total + price
        state.total_squares = total_squares = total_squares + square
        if len(prices) < self._window:
            return None
        # n*(mean - price) against k*n*stddev: both sides scaled by n, so everything stays
        # exact, and squared, so no square root is taken (n²·variance = n·Σx² - (Σx)²).
        length = self._length
        distance = total - length * price
        if distance and distance * distance > self._deviations_squared * (
            length * total_squares - total * total
        ):
            return LONG if distance > ZERO else SHORT
        if (position > 0 and distance <= ZERO) or (position < 0 and distance >= ZERO):
            return FLAT
        return None
