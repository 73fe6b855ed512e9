"""RSI reversion: buy oversold, sell overbought, exit when RSI crosses back through the middle."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

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
    """Go long below `oversold`, short (or flat) above `overbought`, flat across `exit_level`."""

    parameters_model = RsiParameters

    def new_state(self) -> RsiState:
        """Return a state with no price seen yet."""
        return RsiState()

    def decide(self, state: RsiState, price: Decimal, position: int) -> int | None:
        """Update the averages and compare the RSI with the levels."""
        previous, state.previous = state.previous, price
        if previous is None:
            return None
        change = price - previous
        gain = change if change > 0 else ZERO
        loss = -change if change < 0 else ZERO
        period = self.parameters.period
        state.changes += 1
        # Simple average over the first period, Wilder's smoothing afterwards.
        weight = min(state.changes, period)
        state.average_gain += (gain - state.average_gain) / weight
        state.average_loss += (loss - state.average_loss) / weight
        if state.changes < period:
            return None
        if state.average_loss == 0:
            rsi = HUNDRED
        else:
            rsi = HUNDRED - HUNDRED / (1 + state.average_gain / state.average_loss)
        parameters = self.parameters
        if rsi < parameters.oversold:
            return LONG
        if rsi > parameters.overbought:
            return SHORT
        if (position == LONG and rsi >= parameters.exit_level) or (
            position == SHORT and rsi <= parameters.exit_level
        ):
            return FLAT
        return None
