"""Read models of the portfolio: what the service caches and the dashboard shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from alpha_panda.domain.values import Frozen, Namespace, UtcDatetime


class PositionView(Frozen):
    """One position; average price rounded to 4 decimals, every P&L figure exact."""

    strategy_id: str
    instrument_token: int
    quantity: int
    average_price: Decimal
    last_price: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    charges: Decimal


class StrategySummary(Frozen):
    """P&L of one strategy: gross = realized + unrealized, net = gross - charges."""

    strategy_id: str
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    gross_pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    exposure: Decimal
    margin_used: Decimal
    fills: int
    orders_today: int = 0
    fills_today: int = 0
    last_signal_at: datetime | None = None


class NamespaceSummary(Frozen):
    """Totals of a namespace: cash = initial + realized - charges; equity adds unrealized."""

    namespace: Namespace
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    gross_pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    exposure: Decimal
    margin_used: Decimal
    fills: int
    cash: Decimal
    equity: Decimal
    available_margin: Decimal


class PnlPoint(Frozen):
    """Net P&L of a namespace and of each strategy at one exchange instant (the curve's unit)."""

    at: UtcDatetime
    net_pnl: Decimal
    strategies: dict[str, Decimal]
