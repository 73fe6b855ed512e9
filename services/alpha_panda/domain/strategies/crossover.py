"""Moving-average crossover: trade when a fast average crosses a slow one."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from alpha_panda.domain.strategies.base import LONG, SHORT, Strategy, StrategyParameters
from alpha_panda.domain.strategies.rolling import RollingWindow


class CrossoverParameters(StrategyParameters):
    """Crossover settings: fast and slow simple moving-average lengths in ticks."""

    fast_window: int = Field(default=10, ge=1)
    slow_window: int = Field(default=30, ge=2)

    @model_validator(mode="after")
    def _fast_shorter_than_slow(self) -> CrossoverParameters:
        if self.fast_window >= self.slow_window:
            raise ValueError("fast_window must be shorter than slow_window")
        return self


class CrossoverState:
    """Both averages of one instrument and which side the fast one was last on."""

    __slots__ = ("fast", "relation", "slow")

    def __init__(self, fast: int, slow: int) -> None:
        self.fast = RollingWindow(fast)
        self.slow = RollingWindow(slow)
        self.relation = 0


class CrossoverStrategy(Strategy[CrossoverParameters, CrossoverState]):
    """Go long when the fast average crosses above the slow one, short (or flat) when it
    crosses below; hold otherwise. The first relation after warm-up is not a cross."""

    parameters_model = CrossoverParameters

    def new_state(self) -> CrossoverState:
        """Return empty fast and slow windows."""
        return CrossoverState(self.parameters.fast_window, self.parameters.slow_window)

    def decide(self, state: CrossoverState, price: Decimal, position: int) -> int | None:
        """Detect a change of sign of fast - slow, compared without dividing."""
        state.fast.push(price)
        state.slow.push(price)
        if not state.slow.full:
            return None
        difference = state.fast.total * state.slow.length - state.slow.total * state.fast.length
        relation = (difference > 0) - (difference < 0)
        previous, state.relation = state.relation, relation if relation else state.relation
        if previous == 0 or relation in (0, previous):
            return None
        return LONG if relation > 0 else SHORT
