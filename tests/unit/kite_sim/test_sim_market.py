"""Market model, session clock, instrument set and replay of the simulator."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import (
    DUMP_COLUMNS,
    InstrumentRegistry,
    monthly_expiry,
)
from alpha_panda.backtest.generated_market.quotes import to_paise
from alpha_panda.domain.values import IST
from kite_sim.clock import SessionPhase, SimulatedClock, session_phase, token_expiry
from kite_sim.replay import ReplayMarket, first_instant, read_tick_file

OPEN = datetime(2026, 11, 25, 9, 15, tzinfo=IST)
RELIANCE = 738561
NIFTY = 256265
REGISTRY = InstrumentRegistry.build(OPEN.date())


def path(seed: int, token: int, steps: int) -> list[int]:
    market = GeneratedMarket(REGISTRY, OPEN, seed=seed)
    instants = [OPEN + timedelta(seconds=step) for step in range(steps)]
    return [market.quote(token, instant).last_price for instant in instants]


def test_same_seed_gives_the_same_path_and_another_seed_does_not() -> None:
    assert path(7, RELIANCE, 200) == path(7, RELIANCE, 200)
    assert path(7, RELIANCE, 200) != path(8, RELIANCE, 200)


def test_prices_stay_on_tick_size_and_within_circuit_bands() -> None:
    market = GeneratedMarket(REGISTRY, OPEN, seed=3)
    for step in range(0, 22500, 90):
        quote = market.quote(RELIANCE, OPEN + timedelta(seconds=step))
        assert quote.last_price % 5 == 0
        assert quote.lower_circuit <= quote.last_price <= quote.upper_circuit
        assert quote.low <= quote.last_price <= quote.high
    assert quote.upper_circuit - quote.close == pytest.approx(quote.close * 0.10, abs=5)


def test_depth_has_five_levels_each_side_around_the_last_price() -> None:
    quote = GeneratedMarket(REGISTRY, OPEN, seed=1).quote(RELIANCE, OPEN + timedelta(minutes=5))
    assert len(quote.bids) == len(quote.asks) == 5
    bid_prices = [level[0] for level in quote.bids]
    ask_prices = [level[0] for level in quote.asks]
    assert bid_prices == sorted(bid_prices, reverse=True) and ask_prices == sorted(ask_prices)
    assert bid_prices[0] < quote.last_price < ask_prices[0]
    assert all(level[1] > 0 for level in quote.bids + quote.asks)


def test_volume_grows_while_open_and_prices_freeze_when_closed() -> None:
    market = GeneratedMarket(REGISTRY, OPEN, seed=5)
    early = market.quote(RELIANCE, OPEN + timedelta(minutes=1))
    later = market.quote(RELIANCE, OPEN + timedelta(minutes=2))
    assert later.volume > early.volume and later.sequence > early.sequence
    closing = market.quote(RELIANCE, OPEN.replace(hour=15, minute=30))
    evening = market.quote(RELIANCE, OPEN.replace(hour=20))
    assert evening.sequence == closing.sequence and evening.last_price == closing.last_price


def test_next_day_opens_with_previous_last_price_as_close_and_fresh_volume() -> None:
    market = GeneratedMarket(REGISTRY, OPEN, seed=5)
    market.quote(RELIANCE, OPEN)
    last = market.quote(RELIANCE, OPEN.replace(hour=15, minute=29, second=59))
    next_day = market.quote(RELIANCE, OPEN + timedelta(days=1, seconds=2))
    assert next_day.close == last.last_price
    assert next_day.volume < last.volume


def test_index_has_no_depth_or_volume() -> None:
    quote = GeneratedMarket(REGISTRY, OPEN).quote(NIFTY, OPEN + timedelta(minutes=1))
    assert quote.bids == () and quote.volume == 0 and quote.last_price > 2_000_000


@pytest.mark.parametrize(
    ("local", "phase"),
    [
        ((9, 0), SessionPhase.PRE_OPEN),
        ((9, 14), SessionPhase.PRE_OPEN),
        ((9, 15), SessionPhase.OPEN),
        ((15, 29), SessionPhase.OPEN),
        ((15, 30), SessionPhase.CLOSED),
        ((8, 59), SessionPhase.CLOSED),
    ],
)
def test_session_phase_follows_nse_hours(local: tuple[int, int], phase: SessionPhase) -> None:
    assert session_phase(OPEN.replace(hour=local[0], minute=local[1])) is phase


def test_weekend_is_closed() -> None:
    assert session_phase(datetime(2026, 11, 28, 10, 0, tzinfo=IST)) is SessionPhase.CLOSED


def test_accelerated_clock_runs_speed_times_real_time() -> None:
    real = [100.0]
    clock = SimulatedClock(OPEN, speed=60, monotonic=lambda: real[0])
    real[0] += 2.5
    assert clock.now() == OPEN + timedelta(minutes=2, seconds=30)
    clock.set_speed(0)
    real[0] += 100
    assert clock.now() == OPEN + timedelta(minutes=2, seconds=30)
    clock.advance(timedelta(hours=7))
    assert clock.phase() is SessionPhase.CLOSED


def test_access_token_dies_at_six_the_next_morning_ist() -> None:
    expiry = token_expiry(datetime(2026, 11, 25, 10, 0, tzinfo=IST))
    assert expiry == datetime(2026, 11, 26, 6, 0, tzinfo=IST) and expiry.tzinfo is UTC
    early = token_expiry(datetime(2026, 11, 25, 5, 0, tzinfo=IST))
    assert early == datetime(2026, 11, 25, 6, 0, tzinfo=IST)


def test_registry_has_realistic_equities_indices_and_derivatives() -> None:
    reliance = REGISTRY.by_key("NSE:RELIANCE")
    assert reliance.instrument_token == RELIANCE and reliance.tick_size == Decimal("0.05")
    assert REGISTRY.by_key("NSE:NIFTY 50").segment == "INDICES"
    futures = [item for item in REGISTRY if item.instrument_type == "FUT"]
    options = [item for item in REGISTRY if item.instrument_type in ("CE", "PE")]
    assert {item.name for item in futures} == {"NIFTY", "BANKNIFTY", "RELIANCE"}
    assert all(item.expiry == monthly_expiry(OPEN.date()) for item in futures + options)
    assert all(item.instrument_token & 0xFF == 2 for item in futures + options)
    assert REGISTRY.by_key("NFO:NIFTY26DECFUT").lot_size == 75


def test_monthly_expiry_is_the_last_tuesday_on_or_after_the_day() -> None:
    assert monthly_expiry(date(2026, 11, 25)) == date(2026, 12, 29)
    assert monthly_expiry(date(2026, 11, 2)) == date(2026, 11, 24)


def test_synthetic_instruments_fill_the_registry_to_nine_thousand() -> None:
    registry = InstrumentRegistry.build(OPEN.date(), synthetic_count=9000)
    assert len(registry) >= 9000
    assert len({item.instrument_token for item in registry}) == len(registry)


def test_dump_has_kite_columns_in_order() -> None:
    header, first, *_ = REGISTRY.dump_csv().splitlines()
    assert tuple(header.split(",")) == DUMP_COLUMNS
    assert first.startswith("256265,1001,NIFTY 50,")
    assert ",NFO" not in REGISTRY.dump_csv("NSE")


def test_replay_plays_recorded_ticks_in_order(tmp_path: Path) -> None:
    lines = [
        {
            "instrument_token": RELIANCE,
            "timestamp": "2026-11-25T09:15:01",
            "last_price": "1500.5",
            "last_quantity": 10,
        },
        {
            "instrument_token": RELIANCE,
            "timestamp": "2026-11-25T09:15:03",
            "last_price": "1499.0",
            "last_quantity": 5,
        },
    ]
    source = tmp_path / "ticks.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines))
    records = read_tick_file(source)
    market = ReplayMarket(REGISTRY, records)
    assert first_instant(records) == OPEN + timedelta(seconds=1)
    assert market.quote(RELIANCE, OPEN) is None
    second = market.quote(RELIANCE, OPEN + timedelta(seconds=4))
    assert second.last_price == to_paise(Decimal("1499.0")) and second.volume == 15
    assert (second.open, second.high, second.low) == (150050, 150050, 149900)
    assert market.quote(RELIANCE, OPEN + timedelta(seconds=2)).sequence == 1


def test_replay_reads_csv(tmp_path: Path) -> None:
    source = tmp_path / "ticks.csv"
    source.write_text(
        "instrument_token,timestamp,last_price,volume\n"
        f"{NIFTY},2026-11-25T09:15:00+05:30,26000.10,\n"
    )
    (record,) = read_tick_file(source)
    assert record.last_price == Decimal("26000.10") and record.timestamp == OPEN
