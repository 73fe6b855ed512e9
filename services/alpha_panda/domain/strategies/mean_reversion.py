"""Mean reversion: fade prices that stray outside Bollinger bands, exit at the mean."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import FLAT, LONG, SHORT, Strategy, StrategyParameters
from alpha_panda.domain.strategies.rolling import ZERO, RollingWindow


class BollingerParameters(StrategyParameters):
    """Bollinger settings: window length in ticks and band width in standard deviations."""

    window: int = Field(default=20, ge=2)
    band_deviations: Decimal = Field(default=Decimal(2), gt=0)


class BollingerReversionStrategy(Strategy[BollingerParameters, RollingWindow]):
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
        self._deviations_squared = parameters.band_deviations**2

    def new_state(self) -> RollingWindow:
        """Return an empty window of the configured length."""
        return RollingWindow(self.parameters.window)

    def dump_state(self, state: RollingWindow) -> Any:
        """Return the window's prices, oldest first."""
        return state.values()

    def load_state(self, data: Any) -> RollingWindow:
        """Refill a window with saved prices, recomputing its sums."""
        state = self.new_state()
        for price in data:
            state.push(Decimal(price))
        return state

    def decide(self, state: RollingWindow, price: Decimal, position: int) -> int | None:
        """Place the price against the bands, compared in squares to avoid a square root."""
        scaled_variance = state.push(price)
        if scaled_variance is None:
            return None
        # n*(mean - price) against k*n*stddev, both sides scaled by n so everything stays exact.
        distance = state.total - state.scale * price
        if distance and distance * distance > self._deviations_squared * scaled_variance:
            return LONG if distance > ZERO else SHORT
        if (position > 0 and distance <= ZERO) or (position < 0 and distance >= ZERO):
            return FLAT
        return None
