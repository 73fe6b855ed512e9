"""Momentum: follow a move larger than a threshold over a lookback window."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import FLAT, LONG, SHORT, Strategy, StrategyParameters


class MomentumParameters(StrategyParameters):
    """Momentum settings: lookback in ticks and entry/exit thresholds in percent."""

    lookback: int = Field(default=20, ge=1, description="Ticks between the compared prices.")
    entry_percent: Decimal = Field(default=Decimal("0.5"), gt=0)
    exit_percent: Decimal = Field(default=Decimal("0.1"), ge=0)


class MomentumStrategy(Strategy[MomentumParameters, deque[Decimal]]):
    """Go long when the price rose more than entry_percent over the lookback, short (or flat)
    when it fell as much, and flat when the move shrinks below exit_percent."""

    parameters_model = MomentumParameters

    def __init__(
        self,
        strategy_id: str,
        instruments: Iterable[int | Instrument],
        parameters: MomentumParameters,
    ) -> None:
        super().__init__(strategy_id, instruments, parameters)
        self._lookback = parameters.lookback
        self._entry = parameters.entry_percent / 100
        self._exit = parameters.exit_percent / 100

    def new_state(self) -> deque[Decimal]:
        """Return a bounded deque holding now and the price `lookback` ticks ago."""
        return deque(maxlen=self.parameters.lookback + 1)

    def dump_state(self, state: deque[Decimal]) -> Any:
        """Return the window's prices, oldest first."""
        return [str(price) for price in state]

    def load_state(self, data: Any) -> deque[Decimal]:
        """Refill a window with saved prices."""
        state = self.new_state()
        state.extend(Decimal(price) for price in data)
        return state

    def decide(self, state: deque[Decimal], price: Decimal, position: int) -> int | None:
        """Compare the move over the lookback with the thresholds."""
        state.append(price)
        if len(state) <= self._lookback:
            return None
        then = state[0]
        move = price - then if price >= then else then - price
        if move > self._entry * then:
            return LONG if price > then else SHORT
        if move < self._exit * then:
            return FLAT
        return None
