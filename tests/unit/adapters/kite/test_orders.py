"""Kite's order and trade books turned into order events, and whether an order still works."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alpha_panda.adapters.kite.orders import failure, fills, kite_instant, order_update
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.values import IST, OrderType, Side
from alpha_panda.trading_engine.live import still_working

PLACED = OrderPlaced(
    order_id="o1",
    strategy_id="s",
    instrument_token=408065,
    side=Side.BUY,
    quantity=30,
    order_type=OrderType.LIMIT,
    limit_price=Decimal("1535"),
    tag="APTAG",
    placed_at=datetime(2026, 11, 25, 4, 30, tzinfo=UTC),
)
TRADES = [
    {"trade_id": "00000007", "quantity": 10, "average_price": 1530.05, "fill_timestamp": None},
    {"trade_id": "00000008", "quantity": 5, "average_price": 1530.1},
]


def test_kite_times_are_ist_and_missing_ones_fall_back() -> None:
    naive = datetime(2026, 11, 25, 10, 0, 4)
    assert kite_instant(naive, PLACED.placed_at) == naive.replace(tzinfo=IST)
    assert kite_instant("2026-11-25 10:00:04", PLACED.placed_at) == naive.replace(tzinfo=IST)
    assert kite_instant(None, PLACED.placed_at) == PLACED.placed_at


def test_each_trade_is_a_fill_at_its_exact_price_charged_per_order() -> None:
    events = fills(PLACED, TRADES, ChargeSchedule(), Product.INTRADAY)

    assert [(f.fill_id, f.price, f.remaining_quantity) for f in events] == [
        ("00000007", Decimal("1530.05"), 20),
        ("00000008", Decimal("1530.1"), 15),
    ]
    whole = ChargeSchedule().charges(Side.BUY, Decimal("22951.00"), Product.INTRADAY).total
    assert sum(f.charges for f in events) == whole
    assert still_working(events) and still_working([PLACED])


def test_a_cancelled_rest_fails_with_kites_message_and_ends_the_watch() -> None:
    cancelled = {"status": "CANCELLED", "status_message": "IOC order unfilled"}
    rest = failure(PLACED, cancelled, filled=15)

    assert rest is not None and (rest.quantity, rest.reason) == (15, "IOC order unfilled")
    assert failure(PLACED, {"status": "OPEN"}, filled=15) is None
    assert failure(PLACED, {"status": "CANCELLED"}, filled=30) is None
    assert not still_working([PLACED, rest])


def test_an_order_update_is_stamped_with_the_exchanges_last_update_in_utc() -> None:
    received = datetime(2026, 11, 25, 4, 31, tzinfo=UTC)
    record = {
        "order_id": "151220000000000",
        "tag": "APTAG",
        "status": "COMPLETE",
        "filled_quantity": 30,
        "order_timestamp": "2026-11-25 10:00:00",
        "exchange_update_timestamp": "2026-11-25 10:00:04",
    }
    update = order_update(record, received)

    assert (update.broker_order_id, update.tag, update.status, update.filled_quantity) == (
        "151220000000000",
        "APTAG",
        "COMPLETE",
        30,
    )
    assert update.updated_at == datetime(2026, 11, 25, 4, 30, 4, tzinfo=UTC)
    placed_only = order_update({**record, "exchange_update_timestamp": None, "tag": ""}, received)
    assert placed_only.updated_at == datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
    assert placed_only.tag is None


@pytest.mark.parametrize(
    "broken",
    [{"status": None}, {"order_id": ""}, {"filled_quantity": -1}, {"order_timestamp": "soon"}],
)
def test_a_malformed_order_update_is_refused(broken: dict[str, object]) -> None:
    record = {"order_id": "1", "status": "OPEN", "filled_quantity": 0, **broken}
    with pytest.raises(ValueError):
        order_update(record, datetime(2026, 11, 25, 4, 31, tzinfo=UTC))
