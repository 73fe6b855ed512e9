from datetime import datetime, timedelta

import pytest

from alpha_panda.backtest import Backtest, BacktestConfig, StrategySpec
from alpha_panda.backtest.chart import equity_figure
from alpha_panda.backtest.synthetic import synthetic_ticks
from alpha_panda.backtest.trading_time import SESSION_MINUTES, TradingTimeAxis
from alpha_panda.domain.values import IST

FRIDAY = datetime(2026, 11, 20, 9, 15, tzinfo=IST)
MONDAY = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
ONE_DAY_LABELS = ["09:15", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "15:30"]


def test_one_day_axis_runs_from_the_open_to_the_close_in_ist_minutes():
    axis = TradingTimeAxis.spanning(MONDAY, MONDAY.replace(hour=15, minute=29))
    assert axis.length == SESSION_MINUTES
    assert axis.position(MONDAY) == 0
    assert axis.position(MONDAY.replace(hour=12, minute=15)) == 180
    assert axis.position(MONDAY.replace(hour=15, minute=30)) == SESSION_MINUTES
    assert [mark.label for mark in axis.marks()] == ONE_DAY_LABELS
    assert [mark.position for mark in axis.marks()][:2] == [0, 45]


def test_times_outside_the_session_are_clamped_to_its_open_and_close():
    axis = TradingTimeAxis.spanning(MONDAY, MONDAY)
    assert axis.position(MONDAY.replace(hour=8)) == 0
    assert axis.position(MONDAY.replace(hour=17)) == SESSION_MINUTES


def test_a_friday_to_monday_axis_skips_the_night_and_the_weekend():
    axis = TradingTimeAxis.spanning(FRIDAY, MONDAY + timedelta(hours=1))
    assert [day.isoformat() for day in axis.days] == ["2026-11-20", "2026-11-23"]
    assert axis.position(MONDAY) == SESSION_MINUTES
    assert axis.position(MONDAY + timedelta(minutes=30)) == SESSION_MINUTES + 30
    assert [mark.label for mark in axis.marks()] == [
        "Fri 20 Nov 09:15",
        "Mon 23 Nov 09:15",
        "15:30",
    ]
    assert axis.instant(SESSION_MINUTES + 30) == MONDAY + timedelta(minutes=30)


def test_minute_ends_cover_every_market_minute_and_the_last_instant():
    last = MONDAY + timedelta(minutes=3, seconds=20)
    axis = TradingTimeAxis.spanning(MONDAY, last)
    ends = list(axis.minute_ends(MONDAY, last))
    assert [end.astimezone(IST).strftime("%H:%M:%S") for end in ends] == [
        "09:16:00",
        "09:17:00",
        "09:18:00",
        "09:18:20",
    ]


def test_an_axis_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        TradingTimeAxis.spanning(MONDAY, FRIDAY)


def test_the_png_time_axis_is_labelled_in_ist_exchange_time_not_hours_since_utc():
    spec = StrategySpec(
        strategy_id="cross",
        strategy_type="ma_crossover",
        instruments=(408065,),
        parameters={"fast_window": 5, "slow_window": 20},
    )
    ticks = synthetic_ticks({408065: 1500}, 20_000, MONDAY.date(), interval_ms=1000)
    report = Backtest(BacktestConfig(strategies=(spec,))).run(ticks)
    axes = equity_figure(report).axes[0]
    assert [label.get_text() for label in axes.get_xticklabels()] == ONE_DAY_LABELS
    assert axes.get_xlim() == (0, SESSION_MINUTES)
    assert axes.get_xlabel() == "exchange time (IST), Mon 23 Nov 2026"
