"""The simulator's session clock, token expiry and replayed market."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alpha_panda.backtest.generated_market.instruments import (
    InstrumentRegistry,
)
from alpha_panda.backtest.generated_market.quotes import to_paise
from alpha_panda.domain.values import IST
from kite_sim.clock import SessionPhase, SimulatedClock, session_phase, token_expiry
from kite_sim.replay import ReplayMarket, first_instant, read_tick_file

OPEN = datetime(2026, 11, 25, 9, 15, tzinfo=IST)
RELIANCE = 738561
NIFTY = 256265
REGISTRY = InstrumentRegistry.build(OPEN.date())


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
