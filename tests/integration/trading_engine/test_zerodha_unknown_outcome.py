"""Placements whose outcome Kite leaves unknown, against the simulator through the real client.

The simulator executes the order and then answers 429, a 5xx or nothing; or refuses it (429)
without executing it. Either way the trader looks the tag up before doing anything else.
"""

from __future__ import annotations

import asyncio

import pytest
import requests

from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.trading_engine.zerodha import ZerodhaTrader, ZerodhaTraderConfig
from kite_sim import KiteSimulator
from kite_sim.faults import PlacementFault
from tests.integration.trading_engine.kite import (
    ScriptedLimiter,
    client,
    validated,
)

pytestmark = pytest.mark.integration
ORDER_ID = "0196f0c4a1b2c3d4e5f6"
QUICK = ZerodhaTraderConfig(settle_seconds=0.05, backoff_initial_seconds=0.05)


def placed_once_and_filled(simulator: KiteSimulator, events: list[object]) -> None:
    [order] = simulator.broker.orders(simulator.api_key)  # no second order at the broker
    trades = simulator.broker.trades(simulator.api_key, order.order_id)
    placed, *filled = events
    assert isinstance(placed, OrderPlaced) and placed.tag == order.tag == order_tag(ORDER_ID)
    assert all(isinstance(fill, OrderFilled) for fill in filled)
    assert [fill.fill_id for fill in filled] == [trade.trade_id for trade in trades]
    assert sum(fill.quantity for fill in filled) == order.quantity == 10
    assert order.status == "COMPLETE"


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        (PlacementFault.RATE_LIMITED, "NetworkException 429"),
        (PlacementFault.SERVER_ERROR, "GeneralException 500"),
        (PlacementFault.DISCONNECT, "ConnectionError"),
    ],
)
async def test_an_order_kite_executed_but_answered_with_a_fault_is_adopted_once(
    simulator: KiteSimulator,
    fault: PlacementFault,
    answer: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.placement_faults.arm(fault)
    trader = ZerodhaTrader(client(simulator), QUICK)

    events = await trader.execute(validated(tradingsymbol="INFY"), None, ORDER_ID)

    placed_once_and_filled(simulator, events)
    assert simulator.placement_faults.pending == 0
    [lost] = [r.getMessage() for r in caplog.records if "no usable answer" in r.getMessage()]
    assert lost.endswith(f"place_order got no usable answer: {answer}")
    assert await trader.execute(validated(tradingsymbol="INFY"), None, ORDER_ID) == events


async def test_the_lookup_after_a_429_keeps_asking_while_the_book_is_rate_limited_too(
    simulator: KiteSimulator,
) -> None:
    limiter = ScriptedLimiter(other=[True, False, False, False])  # the lookups meet 429s
    simulator.rate_limiter = limiter
    simulator.placement_faults.arm(PlacementFault.RATE_LIMITED)

    events = await ZerodhaTrader(client(simulator), QUICK).execute(
        validated(tradingsymbol="INFY"), None, ORDER_ID
    )

    placed_once_and_filled(simulator, events)
    assert limiter.refused["other"] == 3 and limiter.allowed["orders"] == 1


async def test_a_placement_kite_never_took_is_placed_again_after_the_book_shows_it_absent(
    simulator: KiteSimulator,
) -> None:
    limiter = ScriptedLimiter(orders=[False])  # refused before reaching the order book
    simulator.rate_limiter = limiter

    events = await ZerodhaTrader(client(simulator), QUICK).execute(
        validated(tradingsymbol="INFY"), None, ORDER_ID
    )

    placed_once_and_filled(simulator, events)
    assert (limiter.refused["orders"], limiter.allowed["orders"]) == (1, 1)
    # the book before placing, after the lost answer, then the order's history and trades
    assert limiter.allowed["other"] == 4


async def test_a_placement_the_broker_never_received_fails_only_after_the_lookups_show_it_absent(
    simulator: KiteSimulator,
) -> None:
    limiter = ScriptedLimiter(orders=[False, False, False])
    simulator.rate_limiter = limiter
    trader = ZerodhaTrader(client(simulator), QUICK.model_copy(update={"placement_attempts": 3}))

    placed, failed = await trader.execute(validated(tradingsymbol="INFY"), None, ORDER_ID)

    assert isinstance(placed, OrderPlaced) and isinstance(failed, OrderFailed)
    assert failed.quantity == 10
    assert failed.reason.startswith("Kite gave no usable answer to 3 placement(s)")
    assert failed.reason.endswith(f"its order book holds no order tagged {order_tag(ORDER_ID)}")
    assert simulator.broker.orders(simulator.api_key) == []
    assert limiter.refused["orders"] == 3
    assert limiter.allowed["other"] == 1 + 3  # the first lookup, then one after each attempt


async def test_faults_are_armed_over_http_for_a_simulator_in_another_process(
    simulator: KiteSimulator,
) -> None:
    kite = client(simulator)
    headers = {"X-Kite-Version": "3", "Authorization": f"token {kite.api_key}:{kite.access_token}"}
    url = f"{simulator.urls.rest}/sim/faults/placements"

    def post(form: dict[str, object]) -> tuple[int, dict[str, object]]:
        answer = requests.post(url, data=form, headers=headers, timeout=5)
        return answer.status_code, answer.json()

    assert await asyncio.to_thread(post, {"fault": "disconnect", "count": 2}) == (
        200,
        {"status": "success", "data": {"pending": 2}},
    )
    status, refused = await asyncio.to_thread(post, {"fault": "flood"})
    assert (status, refused["error_type"]) == (400, "InputException")
    assert simulator.placement_faults.pending == 2
