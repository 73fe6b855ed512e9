"""Pre-trade risk: per-strategy definitions and limits, orders in flight, kill switch,
persistence."""

from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.risk.limits import (
    MarketHours,
    RiskEngineConfig,
    RiskLimits,
    StrategyDefinition,
)

__all__ = ["MarketHours", "RiskEngine", "RiskEngineConfig", "RiskLimits", "StrategyDefinition"]
