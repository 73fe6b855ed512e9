"""The seeded generated market: reproducible paths on ticks, within bands, with depth."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.domain.values import IST

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


def test_a_fresh_market_first_asked_where_the_path_began_retraces_it() -> None:
    live = GeneratedMarket(REGISTRY, OPEN, seed=5)
    first = OPEN + timedelta(minutes=20, seconds=0.25)
    assert live.first_seen(RELIANCE) is None
    observed = {}
    for second in range(0, 600, 7):  # observed every 14 steps, as a ticker would
        instant = first + timedelta(seconds=second)
        observed[instant] = live.quote(RELIANCE, instant).last_price
    assert live.first_seen(RELIANCE) == first
    fresh = GeneratedMarket(REGISTRY, OPEN, seed=5)
    for instant, price in observed.items():
        assert fresh.quote(RELIANCE, instant).last_price == price
    assert len(set(observed.values())) > 10
