"""Pure trading strategies: ticks in, signals out; the same object live, on paper, in backtests."""

from alpha_panda.domain.strategies.base import Strategy, StrategyParameters
from alpha_panda.domain.strategies.registry import (
    STRATEGY_TYPES,
    StrategyConfigError,
    build_strategy,
)

__all__ = [
    "STRATEGY_TYPES",
    "Strategy",
    "StrategyConfigError",
    "StrategyParameters",
    "build_strategy",
]
