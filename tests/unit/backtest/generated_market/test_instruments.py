"""The instrument universe: realistic NSE/NFO listings, expiries and Kite's dump format."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from alpha_panda.backtest.generated_market.instruments import (
    DUMP_COLUMNS,
    InstrumentRegistry,
    monthly_expiry,
)
from alpha_panda.domain.values import IST

OPEN = datetime(2026, 11, 25, 9, 15, tzinfo=IST)
RELIANCE = 738561
NIFTY = 256265
REGISTRY = InstrumentRegistry.build(OPEN.date())


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
