"""The paper trading engine's handler, driven with plain builders and no servers."""

from __future__ import annotations

from decimal import Decimal

from alpha_panda.core.events import EventType
from alpha_panda.domain.execution.paper import PaperTrader, PaperTraderConfig
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.signals import ValidatedSignal
from alpha_panda.trading_engine.service import TradingEngine, order_id_for
from alpha_panda.trading_engine.traders import PaperExecution
from tests.unit.domain.conftest import at, make_signal, make_tick
from tests.unit.services.builders import TOPICS, envelope


def engine() -> TradingEngine:
    return TradingEngine(TOPICS, PaperExecution(PaperTrader(PaperTraderConfig())))


def validated(quantity: int = 10):
    signal = ValidatedSignal(signal=make_signal(quantity=quantity), checks_passed=("max_position",))
    return envelope(EventType.SIGNAL_VALIDATED, signal)


async def test_a_validated_signal_is_placed_and_filled_at_the_latest_price():
    handler = engine()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100.00", 0)))
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("101.50", 1)))
    signal = validated()
    outputs = await handler.handle(signal)
    topics = [item.topic for item in outputs.events]
    assert topics == [TOPICS.orders_placed, TOPICS.orders_filled]
    placed, filled = (item.data for item in outputs.events)
    assert isinstance(placed, OrderPlaced) and placed.order_id == order_id_for(signal)
    assert isinstance(filled, OrderFilled) and filled.quantity == 10
    assert filled.price == Decimal("101.50") and filled.filled_at == at(1)  # the latest tick


async def test_without_market_data_the_order_fails_with_a_reason():
    outputs = await engine().handle(validated())
    failures = [item.data for item in outputs.events if isinstance(item.data, OrderFailed)]
    assert [item.topic for item in outputs.events][-1] == TOPICS.orders_failed
    assert failures and failures[0].reason


async def test_the_same_validated_signal_gets_the_same_order_id():
    signal = validated()
    first = await engine().handle(signal)
    again = await engine().handle(signal)
    assert [i.data.order_id for i in first.events] == [i.data.order_id for i in again.events]


async def test_the_engine_consumes_ticks_latest_only_and_saves_no_state():
    handler = engine()
    assert handler.subscription.latest_only == [TOPICS.market_ticks]
    assert handler.snapshot() is None
