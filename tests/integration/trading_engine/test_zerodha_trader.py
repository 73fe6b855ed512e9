"""The Zerodha trader against the Kite simulator through the official, unmodified client."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from kiteconnect import exceptions as kite_errors

from alpha_panda.adapters.kite.client import SessionExpiredError
from alpha_panda.core.streaming import FatalError
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.values import OrderType, Side
from alpha_panda.trading_engine.zerodha import (
    OrderOutcomeUnknownError,
    ZerodhaTrader,
    ZerodhaTraderConfig,
)
from kite_sim import KiteSimulator
from kite_sim.rate_limits import RateLimit, RateLimiter
from tests.integration.trading_engine.kite import INFY, client, validated

ORDER_ID = "0196f0c4a1b2c3d4e5f6"


@pytest.fixture
def trader(simulator: KiteSimulator) -> ZerodhaTrader:
    return ZerodhaTrader(client(simulator))


async def test_market_order_fills_at_kites_trade_prices_with_zerodha_charges(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    events = await trader.execute(validated(Side.BUY, 10), None, ORDER_ID)

    [order] = simulator.broker.orders(simulator.api_key)
    trades = simulator.broker.trades(simulator.api_key, order.order_id)
    placed, *filled = events
    assert isinstance(placed, OrderPlaced) and placed.tag == order_tag(ORDER_ID)
    assert placed.tradingsymbol == "INFY"  # resolved from the instruments dump
    assert (order.tag, order.order_type, order.product, order.status) == (
        order_tag(ORDER_ID),
        "MARKET",
        "MIS",
        "COMPLETE",
    )
    assert order.market_protection == Decimal(-1)  # sent: Kite refuses MARKET orders without
    assert [(f.fill_id, f.quantity, f.price) for f in filled] == [
        (t.trade_id, t.quantity, Decimal(t.price) / 100) for t in trades
    ]
    assert all(isinstance(f, OrderFilled) and f.order_id == ORDER_ID for f in filled)
    assert filled[-1].remaining_quantity == 0
    turnover = sum(f.quantity * f.price for f in filled)
    expected = ChargeSchedule().charges(Side.BUY, turnover, Product.INTRADAY).total
    assert sum(f.charges for f in filled) == expected > 0


async def test_kite_refuses_a_market_order_without_market_protection(
    simulator: KiteSimulator,
) -> None:
    kite = client(simulator)
    with pytest.raises(kite_errors.InputException, match="market_protection"):
        await asyncio.to_thread(
            kite.place_order,
            variety="regular",
            exchange="NSE",
            tradingsymbol="INFY",
            transaction_type="BUY",
            quantity=1,
            product="MIS",
            order_type="MARKET",
        )


async def test_a_redelivered_signal_finds_its_order_instead_of_placing_another(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    signal = validated(Side.SELL, 25)
    first = await trader.execute(signal, None, ORDER_ID)
    again = await trader.execute(signal, None, ORDER_ID)

    assert len(simulator.broker.orders(simulator.api_key)) == 1
    assert again == first
    assert sum(e.quantity for e in first if isinstance(e, OrderFilled)) == 25


async def test_an_input_error_fails_the_order_with_kites_reason(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    off_tick = validated(order_type=OrderType.LIMIT, limit_price="1542.83", tradingsymbol="INFY")
    placed, failed = await trader.execute(off_tick, None, ORDER_ID)

    assert isinstance(placed, OrderPlaced) and isinstance(failed, OrderFailed)
    assert failed.quantity == 10
    assert failed.reason.startswith("Tick size for this script is 0.05")
    assert simulator.broker.orders(simulator.api_key) == []


async def test_an_unlisted_instrument_fails_without_reaching_the_order_book(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    _, failed = await trader.execute(validated(token=999_999_01), None, ORDER_ID)

    assert isinstance(failed, OrderFailed)
    assert failed.reason == "instrument 99999901 is not listed on NSE"
    assert simulator.broker.orders(simulator.api_key) == []


async def test_a_limit_that_does_not_cross_stays_open_and_reports_only_the_placement(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    far_below = validated(order_type=OrderType.LIMIT, limit_price="1400.00")
    events = await trader.execute(far_below, None, ORDER_ID)

    assert [type(e) for e in events] == [OrderPlaced]
    [order] = simulator.broker.orders(simulator.api_key)
    assert (order.status, order.price) == ("OPEN", 140000)


async def test_expired_session_raises_the_halting_error_without_the_token(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    [token] = await simulator.expire_tokens()

    with pytest.raises(SessionExpiredError) as raised:
        await trader.execute(validated(), None, ORDER_ID)
    assert "403" in str(raised.value) and token not in str(raised.value)
    assert simulator.broker.orders(simulator.api_key) == []


async def test_a_book_kite_keeps_refusing_to_show_halts_instead_of_placing_blind(
    simulator: KiteSimulator,
) -> None:
    simulator.rate_limiter = RateLimiter({"other": RateLimit(0)})
    trader = ZerodhaTrader(client(simulator), ZerodhaTraderConfig(lookup_seconds=1.0))

    with pytest.raises(OrderOutcomeUnknownError, match="429") as raised:
        await trader.execute(validated(), None, ORDER_ID)
    assert isinstance(raised.value, FatalError)  # neither retried nor dead-lettered
    assert simulator.broker.orders(simulator.api_key) == []


async def test_an_order_kite_rejects_fails_with_kites_status_message(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    above_the_band = validated(order_type=OrderType.LIMIT, limit_price="9999.00")
    placed, failed = await trader.execute(above_the_band, None, ORDER_ID)

    assert isinstance(placed, OrderPlaced) and isinstance(failed, OrderFailed)
    assert (failed.quantity, failed.reason) == (10, "Order price is outside the circuit limits.")
    [order] = simulator.broker.orders(simulator.api_key)
    assert order.status == "REJECTED"


async def test_a_market_order_larger_than_the_book_reports_its_fills_and_keeps_working(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    placed, *filled = await trader.execute(validated(Side.BUY, 5000), None, ORDER_ID)
    assert isinstance(placed, OrderPlaced) and placed.quantity == 5000

    [order] = simulator.broker.orders(simulator.api_key)
    assert order.status == "OPEN" and 0 < order.filled_quantity < 5000
    assert all(isinstance(f, OrderFilled) for f in filled)
    assert sum(f.quantity for f in filled) == order.filled_quantity
    assert filled[-1].remaining_quantity == 5000 - order.filled_quantity


async def test_a_signal_from_an_earlier_day_is_refused_before_reaching_kite(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    yesterday = validated()
    today = Tick(
        instrument_token=INFY,
        exchange_timestamp=yesterday.signal.generated_at + timedelta(days=1),
        last_price=Decimal("1542.80"),
    )
    _, failed = await trader.execute(yesterday, today, ORDER_ID)

    assert isinstance(failed, OrderFailed) and "earlier trading day" in failed.reason
    assert simulator.broker.orders(simulator.api_key) == []


async def test_following_an_order_never_places_it(
    simulator: KiteSimulator, trader: ZerodhaTrader
) -> None:
    assert await trader.follow(validated(), ORDER_ID) is None
    assert simulator.broker.orders(simulator.api_key) == []

    placed = await trader.execute(validated(), None, ORDER_ID)
    assert await trader.follow(validated(), ORDER_ID) == placed
    assert await trader.progress() == {order_tag(ORDER_ID): ("COMPLETE", 10)}
