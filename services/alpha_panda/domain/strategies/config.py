"""What a strategy is configured as: the resource's spec, or the CLI's file."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.values import Frozen, Namespace, UtcDatetime


class StrategyConfig(Frozen):
    """One configured strategy, as a TradingStrategy resource or the CLI describes it."""

    strategy_id: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    namespace: Namespace
    strategy_type: str
    instruments: tuple[int, ...] = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    risk_limits: RiskLimits = RiskLimits()
    paused: bool = False


class StrategyDefined(Frozen):
    """A strategy's full definition as of one generation of its source (the resource's
    `metadata.generation`, or the CLI's clock): the one live source of truth of what trades."""

    config: StrategyConfig
    generation: int = Field(ge=1)
    defined_at: UtcDatetime


class StrategyRemoved(Frozen):
    """A strategy was deleted: its runner stops, its risk state retires, its ledger stays."""

    strategy_id: str
    namespace: Namespace
    generation: int = Field(ge=1)
    removed_at: UtcDatetime
