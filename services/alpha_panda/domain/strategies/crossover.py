"""Moving-average crossover: trade when a fast average crosses a slow one."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import LONG, SHORT, Strategy, StrategyParameters


class CrossoverParameters(StrategyParameters):
    """Crossover settings: fast and slow simple moving-average lengths in ticks."""

    fast_window: int = Field(default=10, ge=1)
    slow_window: int = Field(default=30, ge=2)

    @model_validator(mode="after")
    def _fast_shorter_than_slow(self) -> CrossoverParameters:
        if self.fast_window >= self.slow_window:
            raise ValueError("fast_window must be shorter than slow_window")
        return self


ZERO = Decimal(0)


class CrossoverState:
    """The slow window of one instrument, the running sums of both windows, which side the
    fast average was last on and whether it has crossed yet. The fast window is the tail of
    the slow one."""

    __slots__ = ("crossed", "fast_total", "prices", "relation", "slow_total")

    def __init__(self, slow: int) -> None:
        self.prices: deque[Decimal] = deque(maxlen=slow)
        self.fast_total = ZERO
        self.slow_total = ZERO
        self.relation = 0
        self.crossed = False


class CrossoverStrategy(Strategy[CrossoverParameters, CrossoverState]):
    """Go long when the fast average crosses above the slow one, short (or flat) when it
    crosses below.

    The side found right after warm-up is not a cross, so nothing is traded until the first
    real one; from then on the wanted exposure follows the side of the fast average, so a
    signal lost to the cooldown or refused by risk is sent again rather than dropped.
    """

    parameters_model = CrossoverParameters

    def __init__(
        self,
        strategy_id: str,
        instruments: Iterable[int | Instrument],
        parameters: CrossoverParameters,
    ) -> None:
        super().__init__(strategy_id, instruments, parameters)
        self._fast = parameters.fast_window
        self._slow = parameters.slow_window
        # Decimal copies: Decimal * Decimal is faster than Decimal * int, and just as exact.
        self._fast_length = Decimal(parameters.fast_window)
        self._slow_length = Decimal(parameters.slow_window)

    def new_state(self) -> CrossoverState:
        """Return empty fast and slow windows."""
        return CrossoverState(self.parameters.slow_window)

    def dump_state(self, state: CrossoverState) -> Any:
        """Return the slow window's prices and the last relation of the averages."""
        return {
            "prices": [str(price) for price in state.prices],
            "relation": state.relation,
            "crossed": state.crossed,
        }

    def load_state(self, data: Any) -> CrossoverState:
        """Refill the window and recompute both running sums."""
        state = self.new_state()
        state.prices.extend(Decimal(price) for price in data["prices"])
        prices = list(state.prices)
        state.slow_total = sum(prices, ZERO)
        state.fast_total = sum(prices[-self._fast :], ZERO)
        state.relation = int(data["relation"])
        state.crossed = bool(data["crossed"])
        return state

    def decide(self, state: CrossoverState, price: Decimal, position: int) -> int | None:
        """Follow the sign of fast - slow (compared without dividing) once it has changed."""
        fast, slow = self._fast, self._slow
        prices = state.prices
        count = len(prices)
        fast_total, slow_total = state.fast_total, state.slow_total
        if count >= fast:
            fast_total -= prices[count - fast]
        if count == slow:
            slow_total -= prices[0]
        prices.append(price)
        state.fast_total = fast_total = fast_total + price
        state.slow_total = slow_total = slow_total + price
        if count + 1 < slow:
            return None
        fast_side = fast_total * self._slow_length
        slow_side = slow_total * self._fast_length
        relation = (fast_side > slow_side) - (fast_side < slow_side)
        if relation:
            if state.relation and relation != state.relation:
                state.crossed = True
            state.relation = relation
        if not state.crossed:
            return None
        return LONG if state.relation > 0 else SHORT
