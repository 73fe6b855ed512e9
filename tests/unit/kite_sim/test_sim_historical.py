"""Candle building over a replayed market: buckets, day rolls and volume per candle."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.domain.values import IST
from kite_sim.historical import CandleRequest, build_candles, open_instants
from kite_sim.replay import ReplayMarket, TickRecord

INFY = 408065
WEDNESDAY = datetime(2026, 11, 25, 9, 15, tzinfo=IST)
THURSDAY = WEDNESDAY + timedelta(days=1)
TICKS = [
    (WEDNESDAY, "100", 10),
    (WEDNESDAY + timedelta(seconds=30), "101", 30),
    (WEDNESDAY + timedelta(seconds=70), "99", 45),
    (THURSDAY, "102", 5),
    (THURSDAY + timedelta(minutes=2), "103", 25),
]
MARKET = ReplayMarket(
    InstrumentRegistry.build(WEDNESDAY.date()),
    [TickRecord(INFY, stamp, Decimal(price), volume=volume) for stamp, price, volume in TICKS],
)


def candles(interval: str, start: datetime, end: datetime) -> list[list[object]]:
    request = CandleRequest(INFY, interval, start, end, with_oi=False)
    return build_candles(MARKET, request, open_instants(WEDNESDAY, end, 0.5))


def test_minute_candles_carry_open_high_low_close_and_their_own_volume() -> None:
    first, second, third = candles("minute", WEDNESDAY, WEDNESDAY + timedelta(minutes=2))
    assert first == ["2026-11-25T09:15:00+0530", 100.0, 101.0, 100.0, 101.0, 30]
    assert second == ["2026-11-25T09:16:00+0530", 101.0, 101.0, 99.0, 99.0, 15]
    assert third == ["2026-11-25T09:17:00+0530", 99.0, 99.0, 99.0, 99.0, 0]


def test_day_candles_restart_volume_each_day_and_are_stamped_at_midnight() -> None:
    wednesday, thursday = candles("day", WEDNESDAY, THURSDAY + timedelta(hours=1))
    assert wednesday == ["2026-11-25T00:00:00+0530", 100.0, 101.0, 99.0, 99.0, 45]
    assert thursday == ["2026-11-26T00:00:00+0530", 102.0, 103.0, 102.0, 103.0, 25]


def test_a_range_starting_mid_session_counts_only_its_own_volume() -> None:
    (candle,) = candles(
        "3minute", WEDNESDAY + timedelta(seconds=60), WEDNESDAY + timedelta(minutes=2)
    )
    assert candle[0] == "2026-11-25T09:15:00+0530"
    assert candle[1] == 101.0 and candle[5] == 15


def test_open_instants_skip_closed_hours_and_weekends() -> None:
    friday_close = datetime(2026, 11, 27, 15, 29, 59, tzinfo=IST)
    instants = list(open_instants(friday_close, friday_close + timedelta(days=3, hours=-6), 1))
    assert instants[0] == friday_close
    assert instants[1] == datetime(2026, 11, 30, 9, 15, tzinfo=IST)
    assert instants[-1] == datetime(2026, 11, 30, 9, 29, 59, tzinfo=IST)
