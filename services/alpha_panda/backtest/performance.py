"""Performance figures of a strategy: win rate, a per-minute net P&L series, drawdown, Sharpe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, localcontext
from itertools import pairwise

from alpha_panda.backtest.report import EquityPoint
from alpha_panda.backtest.round_trips import RoundTrip
from alpha_panda.backtest.trading_time import SESSION_MINUTES, TradingTimeAxis

TRADING_DAYS_PER_YEAR = 252
ANNUAL_MINUTES = Decimal(TRADING_DAYS_PER_YEAR * SESSION_MINUTES)
RATIO_PLACES = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


def win_rate(trips: Sequence[RoundTrip]) -> Decimal | None:
    """Return the share of closed round trips that made money after charges (None if none)."""
    results = [trip.net_pnl for trip in trips if trip.net_pnl is not None]
    if not results:
        return None
    wins = sum(1 for result in results if result > 0)
    return (Decimal(wins) / len(results)).quantize(RATE_PLACES)


def minute_pnl(
    curve: Sequence[EquityPoint], axis: TradingTimeAxis, first: datetime, last: datetime
) -> list[tuple[datetime, Decimal]]:
    """Return the net P&L at the end of every market minute from `first` to `last`.

    Each value is the curve's latest point at or before the minute's end (zero before its
    first point), so a flat stretch of the curve stays flat.
    """
    series: list[tuple[datetime, Decimal]] = []
    index, value = 0, Decimal(0)
    for minute_end in axis.minute_ends(first, last):
        while index < len(curve) and curve[index].at <= minute_end:
            value = curve[index].net_pnl
            index += 1
        series.append((minute_end, value))
    return series


def drawdowns(values: Sequence[Decimal]) -> list[Decimal]:
    """Return how far each value lies below the running peak (the peak starts at zero)."""
    peak, result = Decimal(0), []
    for value in values:
        peak = max(peak, value)
        result.append(peak - value)
    return result


def sharpe_ratio(values: Sequence[Decimal], capital: Decimal) -> Decimal | None:
    """Return the annualised mean over standard deviation of per-minute returns on `capital`.

    Returns are the minute-to-minute changes of net P&L over the starting capital, scaled by
    the square root of 252 sessions of 375 minutes. None when the P&L never moved.
    """
    if len(values) < 3 or capital <= 0:
        return None
    with localcontext() as context:
        context.prec = 28
        returns = [(later - earlier) / capital for earlier, later in pairwise(values)]
        mean = sum(returns, Decimal(0)) / len(returns)
        variance = sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (len(returns) - 1)
        if variance == 0:
            return None
        return (mean / variance.sqrt() * ANNUAL_MINUTES.sqrt()).quantize(RATIO_PLACES)
