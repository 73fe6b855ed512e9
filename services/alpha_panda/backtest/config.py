"""What a backtest runs: strategies, risk limits, paper trading and starting cash."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from alpha_panda.domain.execution import PaperTraderConfig
from alpha_panda.domain.risk import RiskEngineConfig
from alpha_panda.domain.values import Frozen, Namespace


class StrategySpec(Frozen):
    """One strategy as a TradingStrategy resource declares it."""

    strategy_id: str = Field(min_length=1)
    strategy_type: str
    instruments: tuple[int, ...] = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)


class BacktestConfig(Frozen):
    """Everything a backtest needs besides the ticks; the same configs the services use."""

    strategies: tuple[StrategySpec, ...] = Field(min_length=1)
    risk: RiskEngineConfig = RiskEngineConfig(namespace=Namespace.PAPER)
    paper: PaperTraderConfig = PaperTraderConfig()
    initial_cash: Decimal = Decimal(1_000_000)
    margin_fraction: Decimal = Field(default=Decimal(1), gt=0, le=1)
    equity_sample_seconds: int = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _unique_strategy_ids(self) -> BacktestConfig:
        ids = [spec.strategy_id for spec in self.strategies]
        duplicates = sorted({strategy_id for strategy_id in ids if ids.count(strategy_id) > 1})
        if duplicates:
            raise ValueError(f"strategy ids must be unique: {', '.join(duplicates)}")
        return self
