"""Momentum: follow a move larger than a threshold over a lookback window."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from alpha_panda.domain.strategies.base import FLAT, LONG, SHORT, Strategy, StrategyParameters
from alpha_panda.domain.strategies.rolling import RollingWindow


class MomentumParameters(StrategyParameters):
    """Momentum settings: lookback in ticks and entry/exit thresholds in percent."""

    lookback: int = Field(default=20, ge=1, description="Ticks between the compared prices.")
    entry_percent: Decimal = Field(default=Decimal("0.5"), gt=0)
    exit_percent: Decimal = Field(default=Decimal("0.1"), ge=0)


class MomentumStrategy(Strategy[MomentumParameters, RollingWindow]):
    """Go long when the price rose more than entry_percent over the lookback, short (or flat)
    when it fell as much, and flat when the move shrinks below exit_percent."""

    parameters_model = MomentumParameters

    def new_state(self) -> RollingWindow:
        """Return a window one longer than the lookback (now and lookback ticks ago)."""
        return RollingWindow(self.parameters.lookback + 1)

    def decide(self, state: RollingWindow, price: Decimal, position: int) -> int | None:
        """Compare the move over the lookback with the thresholds."""
        state.push(price)
        if not state.full:
            return None
        then = state.oldest
        move = (price - then) * 100
        entry = self.parameters.entry_percent * then
        if move > entry:
            return LONG
        if move < -entry:
            return SHORT
        if abs(move) < self.parameters.exit_percent * then:
            return FLAT
        return None
