"""Portfolio accounting: FIFO positions, P&L, cash and margin per strategy and namespace."""

from alpha_panda.domain.portfolio.ledger import LedgerEntry
from alpha_panda.domain.portfolio.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary

__all__ = [
    "LedgerEntry",
    "NamespaceSummary",
    "Portfolio",
    "PortfolioConfig",
    "PositionView",
    "StrategySummary",
]
