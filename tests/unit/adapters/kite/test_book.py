"""The day's Kite books against the recorded order events: exactly what is missing comes out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from alpha_panda.adapters.kite.book import (
    UNATTRIBUTED,
    OrderOwner,
    RecordedOrders,
    compare_books,
)
from alpha_panda.domain.execution.tags import is_order_tag, order_tag
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.values import IST, OrderType, Side

OURS, THEIRS, LOST = "0196f0c4a1b2c3d4e5f6", "0196f0c4a1b2c3d4e5f7", "0196f0c4a1b2c3d4e5f8"


def order(kite_id: str, tag: str, status: str = "COMPLETE", **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "order_id": kite_id,
        "tag": tag,
        "status": status,
        "instrument_token": 408065,
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "quantity": 10,
        "order_type": "MARKET",
        "price": 0,
        "order_timestamp": datetime(2026, 11, 25, 10, 0, 1),
    }
    record.update(fields)
    return record


def trade(trade_id: str, kite_id: str, quantity: int, price: float) -> dict[str, object]:
    stamp = datetime(2026, 11, 25, 10, 0, 2)
    return {
        "trade_id": trade_id,
        "order_id": kite_id,
        "quantity": quantity,
        "average_price": price,
        "fill_timestamp": stamp,
    }


def test_only_tags_of_the_platforms_form_count_as_its_orders() -> None:
    assert is_order_tag(order_tag(OURS))
    assert not is_order_tag("APPLE")
    assert not is_order_tag("AP" + "g" * 18)
    assert not is_order_tag(None)


def test_an_order_fully_recorded_misses_nothing() -> None:
    tag = order_tag(OURS)
    recorded = RecordedOrders(
        owners={tag: OrderOwner(OURS, "s1")},
        placed=frozenset({OURS}),
        fill_ids=frozenset({"T1", "T2"}),
    )
    books = [order("K1", tag)], [trade("T1", "K1", 4, 1540.0), trade("T2", "K1", 6, 1540.5)]

    comparison = compare_books(*books, recorded)
    assert comparison.events == [] and comparison.orders == []


def test_a_missing_fill_comes_out_alone_charged_on_the_orders_cumulative_turnover() -> None:
    tag = order_tag(OURS)
    recorded = RecordedOrders(
        owners={tag: OrderOwner(OURS, "s1")}, placed=frozenset({OURS}), fill_ids=frozenset({"T1"})
    )
    trades = [trade("T1", "K1", 4, 1540.0), trade("T2", "K1", 6, 1540.5)]

    comparison = compare_books([order("K1", tag)], trades, recorded)
    [fill] = comparison.events
    assert isinstance(fill, OrderFilled)
    assert (fill.order_id, fill.fill_id, fill.strategy_id) == (OURS, "T2", "s1")
    assert (fill.quantity, fill.price, fill.remaining_quantity) == (6, Decimal("1540.5"), 0)
    assert comparison.orders == ["K1"]


def test_an_order_placed_behind_the_platforms_back_gets_every_event_for_its_owner() -> None:
    tag = order_tag(LOST)
    rejected = order(
        "K2",
        tag,
        status="REJECTED",
        status_message="Insufficient funds",
        order_type="LIMIT",
        price=1500.5,
        transaction_type="SELL",
    )
    recorded = RecordedOrders(owners={tag: OrderOwner(LOST, "s2")})

    placed, failed = compare_books([rejected], [], recorded).events
    assert isinstance(placed, OrderPlaced) and isinstance(failed, OrderFailed)
    assert (placed.order_id, placed.strategy_id, placed.tag, placed.side) == (
        LOST,
        "s2",
        tag,
        Side.SELL,
    )
    assert (placed.order_type, placed.limit_price) == (OrderType.LIMIT, Decimal("1500.5"))
    assert placed.placed_at == datetime(2026, 11, 25, 10, 0, 1, tzinfo=IST)
    assert (failed.quantity, failed.reason) == (10, "Insufficient funds")


def test_an_owned_order_without_an_owner_is_booked_unattributed_under_its_tag() -> None:
    tag, foreign = order_tag(THEIRS), order("K4", "manual")
    comparison = compare_books(
        [order("K3", tag), foreign], [trade("T9", "K3", 10, 1541.0)], RecordedOrders()
    )

    placed, fill = comparison.events
    assert placed.order_id == fill.order_id == tag
    assert placed.strategy_id == fill.strategy_id == UNATTRIBUTED
    assert comparison.orders == ["K3"]  # the manual order is not the platform's


def test_a_recorded_failure_is_not_repeated() -> None:
    tag = order_tag(OURS)
    cancelled = order("K1", tag, status="CANCELLED", status_message="cancelled by user")
    recorded = RecordedOrders(
        owners={tag: OrderOwner(OURS, "s1")},
        placed=frozenset({OURS}),
        failed=frozenset({OURS}),
        fill_ids=frozenset({"T1"}),
    )
    assert compare_books([cancelled], [trade("T1", "K1", 4, 1540.0)], recorded).events == []


def test_an_order_without_a_timestamp_is_refused_with_its_id() -> None:
    with pytest.raises(ValueError, match="K5"):
        compare_books([order("K5", order_tag(OURS), order_timestamp=None)], [], RecordedOrders())
