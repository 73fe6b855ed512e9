"""RSI reversion: buy oversold, sell overbought, exit when RSI crosses back through the middle."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import FLAT, LONG, SHORT, Strategy, StrategyParameters

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class RsiParameters(StrategyParameters):
    """RSI settings: Wilder period in ticks and the oversold/exit/overbought levels."""

    period: int = Field(default=14, ge=2)
    oversold: Decimal = Field(default=Decimal(30), gt=0, lt=100)
    exit_level: Decimal = Field(default=Decimal(50), gt=0, lt=100)
    overbought: Decimal = Field(default=Decimal(70), gt=0, lt=100)

    @model_validator(mode="after")
    def _levels_ordered(self) -> RsiParameters:
        if not self.oversold < self.exit_level < self.overbought:
            raise ValueError("need oversold < exit_level < overbought")
        return self


class RsiState:
    """Wilder-smoothed average gain and loss of one instrument."""

    __slots__ = ("average_gain", "average_loss", "changes", "previous")

    def __init__(self) -> None:
        self.previous: Decimal | None = None
        self.changes = 0
        self.average_gain = ZERO
        self.average_loss = ZERO


class RsiReversionStrategy(Strategy[RsiParameters, RsiState]):
    """Go long below `oversold`, short (or flat) above `overbought`, flat across `exit_level`.

    RSI = 100 - 100 / (1 + gain / loss) is never computed: RSI < level is the same as
    gain < loss * level / (100 - level), so each level becomes a ratio fixed at construction
    and the per-tick path has no division.
    """

    parameters_model = RsiParameters

    def __init__(
        self,
        strategy_id: str,
        instruments: Iterable[int | Instrument],
        parameters: RsiParameters,
    ) -> None:
        super().__init__(strategy_id, instruments, parameters)
        self._period = parameters.period
        period = Decimal(parameters.period)
        self._decay = (period - 1) / period
        self._weight = 1 / period
        self._oversold = _ratio(parameters.oversold)
        self._exit = _ratio(parameters.exit_level)
        self._overbought = _ratio(parameters.overbought)

    def new_state(self) -> RsiState:
        """Return a state with no price seen yet."""
        return RsiState()

    def dump_state(self, state: RsiState) -> Any:
        """Return the previous price, change count and both averages."""
        return {
            "previous": None if state.previous is None else str(state.previous),
            "changes": state.changes,
            "average_gain": str(state.average_gain),
            "average_loss": str(state.average_loss),
        }

    def load_state(self, data: Any) -> RsiState:
        """Rebuild the averages from `dump_state` output."""
        state = RsiState()
        state.previous = None if data["previous"] is None else Decimal(data["previous"])
        state.changes = int(data["changes"])
        state.average_gain = Decimal(data["average_gain"])
        state.average_loss = Decimal(data["average_loss"])
        return state

    def decide(self, state: RsiState, price: Decimal, position: int) -> int | None:
        """Update the averages and compare gain with loss times each level's ratio."""
        previous, state.previous = state.previous, price
        if previous is None:
            return None
        change = price - previous
        changes = state.changes = state.changes + 1
        period = self._period
        if changes <= period:
            # Simple average over the first period (kept as sums until it is complete).
            if change > ZERO:
                state.average_gain += change
            else:
                state.average_loss -= change
            if changes < period:
                return None
            state.average_gain *= self._weight
            state.average_loss *= self._weight
            gain, loss = state.average_gain, state.average_loss
        else:
            decay, weight = self._decay, self._weight
            gain = state.average_gain * decay
            loss = state.average_loss * decay
            if change > ZERO:
                gain += change * weight
            elif change < ZERO:
                loss -= change * weight
            state.average_gain, state.average_loss = gain, loss
        if gain < loss * self._oversold:
            return LONG
        if gain > loss * self._overbought:
            return SHORT
        if (position > 0 and gain >= loss * self._exit) or (
            position < 0 and gain <= loss * self._exit
        ):
            return FLAT
        return None


def _ratio(level: Decimal) -> Decimal:
    return level / (HUNDRED - level)
