"""Strategy types by name, and construction from untrusted configuration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.strategies.base import Strategy
from alpha_panda.domain.strategies.crossover import CrossoverStrategy
from alpha_panda.domain.strategies.mean_reversion import BollingerReversionStrategy
from alpha_panda.domain.strategies.momentum import MomentumStrategy
from alpha_panda.domain.strategies.rsi import RsiReversionStrategy

STRATEGY_TYPES: Mapping[str, type[Strategy[Any, Any]]] = {
    "momentum": MomentumStrategy,
    "mean_reversion": BollingerReversionStrategy,
    "rsi_reversion": RsiReversionStrategy,
    "ma_crossover": CrossoverStrategy,
}
"""Every strategy type a TradingStrategy resource may name."""


class StrategyConfigError(ValueError):
    """A strategy configuration that can never work: unknown type or invalid parameters."""


def build_strategy(
    strategy_id: str,
    strategy_type: str,
    instruments: Iterable[int | Instrument],
    parameters: Mapping[str, Any],
) -> Strategy[Any, Any]:
    """Validate the parameters of a named strategy type and return a fresh instance."""
    strategy_class = STRATEGY_TYPES.get(strategy_type)
    if strategy_class is None:
        known = ", ".join(sorted(STRATEGY_TYPES))
        raise StrategyConfigError(f"unknown strategy type {strategy_type!r}; known: {known}")
    try:
        validated = strategy_class.parameters_model.model_validate(dict(parameters))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'parameters'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise StrategyConfigError(
            f"invalid parameters for {strategy_type} strategy {strategy_id!r}: {problems}"
        ) from error
    tokens = list(instruments)
    if not tokens:
        raise StrategyConfigError(f"strategy {strategy_id!r} has no instruments")
    return strategy_class(strategy_id, tokens, validated)
