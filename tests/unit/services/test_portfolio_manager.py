"""The portfolio manager's handler, driven with plain builders and no servers."""

from __future__ import annotations

from decimal import Decimal

from alpha_panda.core.events import EventType
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.portfolio import LedgerEntry, Portfolio, PortfolioConfig
from alpha_panda.domain.values import Namespace, OrderType, Side
from alpha_panda.portfolio_manager.service import PortfolioManager
from tests.unit.domain.conftest import at, make_fill, make_tick
from tests.unit.services.builders import TOPICS, envelope


def manager() -> PortfolioManager:
    return PortfolioManager(TOPICS, Portfolio(PortfolioConfig(namespace=Namespace.PAPER)))


def placed() -> OrderPlaced:
    return OrderPlaced(
        order_id="o1",
        strategy_id="alpha",
        instrument_token=408065,
        side=Side.BUY,
        quantity=10,
        order_type=OrderType.MARKET,
        tag="o1",
        placed_at=at(0),
    )


async def test_order_events_become_ledger_entries_under_their_event_ids():
    handler = manager()
    event = envelope(EventType.ORDER_PLACED, placed())
    outputs = await handler.handle(event)
    assert outputs.events == () and outputs.records == [
        LedgerEntry(namespace=Namespace.PAPER, event_id=event.id, event=event.data)
    ]


async def test_a_fill_moves_the_position_and_a_second_copy_books_nothing():
    handler = manager()
    fill = make_fill(quantity=10, price="100")
    first = await handler.handle(envelope(EventType.ORDER_FILLED, fill))
    copy = await handler.handle(envelope(EventType.ORDER_FILLED, fill))  # another event id
    assert len(first.records) == 1 and copy.records == ()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("101")))
    [position] = handler.portfolio.positions()
    assert position.quantity == 10 and position.unrealized_pnl == Decimal("10")


async def test_the_snapshot_carries_booked_fills_across_a_restart():
    handler = manager()
    fill = make_fill(quantity=10, price="100")
    await handler.handle(envelope(EventType.ORDER_FILLED, fill))
    snapshot = handler.snapshot()
    assert snapshot is not None and handler.snapshot() is None
    restored = manager()
    restored.restore(snapshot)
    assert (await restored.handle(envelope(EventType.ORDER_FILLED, fill))).records == ()


async def test_ticks_only_mark_positions_and_change_no_saved_state():
    handler = manager()
    outputs = await handler.handle(envelope(EventType.MARKET_TICK, make_tick("101")))
    assert outputs.records == () and handler.snapshot() is None and handler.marked


async def test_the_curves_clock_is_the_latest_exchange_time_seen_never_going_back():
    handler = manager()
    assert handler.as_of is None
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("101", seconds=30)))
    assert handler.as_of == at(30)
    await handler.handle(envelope(EventType.ORDER_FILLED, make_fill(price="100", seconds=10)))
    assert handler.as_of == at(30)  # a late fill does not wind the curve back
    await handler.handle(envelope(EventType.ORDER_FILLED, make_fill(price="100", seconds=45)))
    assert handler.as_of == at(45)
