from datetime import datetime, timedelta
from decimal import Decimal

from alpha_panda.backtest.performance import drawdowns, minute_pnl, sharpe_ratio, win_rate
from alpha_panda.backtest.report import EquityPoint
from alpha_panda.backtest.round_trips import RoundTrip
from alpha_panda.backtest.trading_time import TradingTimeAxis
from alpha_panda.domain.values import IST, Side

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)


def trip(exit_price, charges="0"):
    return RoundTrip(
        instrument_token=1,
        tradingsymbol="INFY",
        side=Side.BUY,
        quantity=1,
        entry_at=OPEN,
        entry_price=Decimal(100),
        exit_at=None if exit_price is None else OPEN,
        exit_price=None if exit_price is None else Decimal(exit_price),
        charges=Decimal(charges),
    )


def test_win_rate_counts_closed_trips_that_made_money_after_charges():
    trips = [trip("102"), trip("101", charges="1.50"), trip("99"), trip("105"), trip(None)]
    assert win_rate(trips) == Decimal("0.5000")
    assert win_rate([trip(None)]) is None


def test_minute_pnl_holds_the_latest_point_of_each_minute_and_starts_at_zero():
    curve = [
        EquityPoint(at=OPEN + timedelta(seconds=90), net_pnl=Decimal("5")),
        EquityPoint(at=OPEN + timedelta(seconds=170), net_pnl=Decimal("-2")),
    ]
    last = OPEN + timedelta(minutes=4)
    series = minute_pnl(curve, TradingTimeAxis.spanning(OPEN, last), OPEN, last)
    assert [value for _, value in series] == [Decimal(0), Decimal(5), Decimal(-2), Decimal(-2)]


def test_drawdown_measures_the_fall_from_the_running_peak():
    values = [Decimal(v) for v in ("-1", "4", "1", "6", "2")]
    assert drawdowns(values) == [Decimal(v) for v in ("1", "0", "3", "0", "4")]


def test_sharpe_ratio_is_the_annualised_mean_over_deviation_of_minute_returns():
    values = [Decimal(v) for v in ("0", "100", "100", "300")]
    # returns on 1,000,000: 1e-4, 0, 2e-4 -> mean 1e-4, sample deviation 1e-4
    assert sharpe_ratio(values, Decimal(1_000_000)) == Decimal("307.41")  # sqrt(252 * 375)


def test_sharpe_ratio_is_undefined_for_a_flat_or_too_short_series():
    assert sharpe_ratio([Decimal(0)] * 10, Decimal(1_000_000)) is None
    assert sharpe_ratio([Decimal(0), Decimal(1)], Decimal(1_000_000)) is None
