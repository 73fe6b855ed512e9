"""The backtest report: trades, P&L, charges and drawdown per strategy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.values import Frozen, UtcDatetime

ZERO = Decimal(0)
NEVER = datetime.min.replace(tzinfo=UTC)


class EquityPoint(Frozen):
    """Net P&L of a strategy at an exchange instant."""

    at: UtcDatetime
    net_pnl: Decimal


class StrategyReport(Frozen):
    """What one strategy did: every fill, its P&L split and its worst drawdown."""

    strategy_id: str
    strategy_type: str
    ticks: int
    signals: int
    orders: int
    rejections: dict[str, int]
    failed_orders: int
    trades: tuple[OrderFilled, ...]
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    gross_pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    max_drawdown: Decimal
    round_trips: int
    """Closed round trips (fills paired first-in, first-out per instrument)."""
    win_rate: Decimal | None
    """Share of closed round trips with a positive P&L after charges; None without any."""
    sharpe_ratio: Decimal | None
    """Annualised Sharpe-like ratio of per-minute net P&L changes on the initial cash."""
    open_positions: dict[str, int]
    equity_curve: tuple[EquityPoint, ...]


class BacktestReport(Frozen):
    """A whole run; the same ticks and config always give byte-identical JSON."""

    ticks: int
    first_tick_at: UtcDatetime | None
    last_tick_at: UtcDatetime | None
    initial_cash: Decimal
    gross_pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    strategies: tuple[StrategyReport, ...]


class EquityTracker:
    """Follow one strategy's net P&L: running peak, worst drawdown and a sampled curve."""

    __slots__ = ("_interval", "_next_sample", "curve", "last", "max_drawdown", "peak")

    def __init__(self, sample_seconds: int) -> None:
        self._interval = timedelta(seconds=sample_seconds)
        self._next_sample = NEVER
        self.peak = ZERO
        self.max_drawdown = ZERO
        self.last = ZERO
        self.curve: list[EquityPoint] = []

    def update(self, net_pnl: Decimal, at: datetime) -> None:
        """Record the net P&L after an event at exchange time `at`."""
        self.last = net_pnl
        peak = self.peak
        if net_pnl > peak:
            self.peak = net_pnl
        else:
            drawdown = peak - net_pnl
            if drawdown > self.max_drawdown:
                self.max_drawdown = drawdown
        if at >= self._next_sample:
            self.curve.append(EquityPoint(at=at, net_pnl=net_pnl))
            self._next_sample = at + self._interval

    def close(self, at: datetime | None) -> None:
        """Add the final value to the curve if the last sample is older."""
        if at is not None and (not self.curve or self.curve[-1].at != at):
            self.curve.append(EquityPoint(at=at, net_pnl=self.last))
