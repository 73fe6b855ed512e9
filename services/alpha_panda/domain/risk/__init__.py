"""Pre-trade risk: configurable limits per strategy and namespace, kill switch, persistence."""

from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.risk.limits import MarketHours, RiskEngineConfig, RiskLimits

__all__ = ["MarketHours", "RiskEngine", "RiskEngineConfig", "RiskLimits"]
