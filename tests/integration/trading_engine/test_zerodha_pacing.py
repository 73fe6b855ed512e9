"""The trader paces itself under Kite's limits: timed against the simulator with its limits on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from alpha_panda.adapters.kite.client import PacedKite
from alpha_panda.adapters.kite.pacing import KiteRateLimits, RateClass, RequestPacer
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.trading_engine.zerodha import ZerodhaTrader, ZerodhaTraderConfig
from kite_sim import KiteSimulator
from kite_sim.rate_limits import KITE_RATE_LIMITS, RateLimiter
from tests.integration.trading_engine.kite import client, frozen_simulator, validated

pytestmark = pytest.mark.integration
ORDERS = 20
OTHER_CALLS_PER_ORDER = 3  # the book before placing, then the order's history and its trades


class CountingLimiter(RateLimiter):
    """The simulator's limiter with Kite's limits, counting the requests it refuses (429)."""

    def __init__(self) -> None:
        super().__init__(KITE_RATE_LIMITS)
        self.refused = 0

    def allow(self, api_key: str, endpoint_class: str) -> bool:
        allowed = super().allow(api_key, endpoint_class)
        self.refused += not allowed
        return allowed


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with frozen_simulator() as running:
        running.rate_limiter = CountingLimiter()
        yield running


async def burst(trader: ZerodhaTrader) -> list[list[object]]:
    """Handle ORDERS signals at once, as a backlog of validated signals arrives."""
    signals = [validated(quantity=1, tradingsymbol="INFY", second=n) for n in range(ORDERS)]
    return await asyncio.gather(
        *(trader.execute(signal, None, f"{n:020d}") for n, signal in enumerate(signals))
    )


async def test_a_burst_of_orders_stays_under_kites_limits_and_takes_the_time_they_allow(
    simulator: KiteSimulator,
) -> None:
    trader = ZerodhaTrader(client(simulator))
    started = time.monotonic()
    results = await burst(trader)
    elapsed = time.monotonic() - started

    assert isinstance(simulator.rate_limiter, CountingLimiter)
    assert simulator.rate_limiter.refused == 0  # not one 429
    assert all(
        [type(event) for event in events] == [OrderPlaced, OrderFilled] for events in results
    )
    assert len(simulator.broker.orders(simulator.api_key)) == ORDERS
    # 60 requests of the "other" class at 10 per (1 + 0.05) s fill six windows past the first.
    windows = ORDERS * OTHER_CALLS_PER_ORDER // 10 - 1
    assert elapsed >= windows * 1.05
    print(f"{ORDERS} orders, {ORDERS * 4} requests in {elapsed:.2f} s, 0 refused")


async def test_without_pacing_the_same_burst_meets_429s(simulator: KiteSimulator) -> None:
    unpaced = RequestPacer(KiteRateLimits(per_second={rate: 10_000 for rate in RateClass}))
    trader = ZerodhaTrader(
        PacedKite(client(simulator), unpaced), ZerodhaTraderConfig(settle_seconds=0.2)
    )
    await burst(trader)

    assert isinstance(simulator.rate_limiter, CountingLimiter)
    assert simulator.rate_limiter.refused > 0
    assert len(simulator.broker.orders(simulator.api_key)) == ORDERS  # still one order a signal
