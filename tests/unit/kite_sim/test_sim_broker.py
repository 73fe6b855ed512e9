"""Order matching of the simulator's broker against its generated book, without a server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kite_sim.errors import InputError
from tests.unit.kite_sim.desk import KEY, START, Desk


def test_market_buy_takes_asks_level_by_level_and_rests_the_remainder() -> None:
    desk = Desk()
    asks = desk.quote().asks
    offered = sum(level[1] for level in asks)
    order = desk.place(order_type="MARKET", market_protection=-1, quantity=offered + 5)
    trades = desk.broker.trades(KEY, order.order_id)
    within_protection = [level for level in asks if level[0] <= desk.quote().last_price * 1.02]
    assert [(trade.price, trade.quantity) for trade in trades] == [
        (level[0], level[1]) for level in within_protection
    ]
    assert order.status == "OPEN" and order.pending_quantity == 5
    assert [update["status"] for _, update in desk.updates] == ["OPEN", "UPDATE"]


def test_resting_remainder_fills_when_the_quote_changes() -> None:
    desk = Desk()
    offered = sum(level[1] for level in desk.quote().asks)
    order = desk.place(order_type="MARKET", market_protection=5, quantity=offered + 1)
    desk.broker.match_open_orders()
    assert order.filled_quantity == offered
    desk.clock.advance(timedelta(seconds=1))
    desk.broker.match_open_orders()
    assert order.status == "COMPLETE" and desk.updates[-1][1]["status"] == "COMPLETE"


def test_ioc_limit_cancels_what_it_cannot_fill_at_once() -> None:
    desk = Desk()
    best_ask = desk.quote().asks[0]
    order = desk.place(
        order_type="LIMIT",
        price=f"{best_ask[0] / 100:.2f}",
        quantity=best_ask[1] + 3,
        validity="IOC",
    )
    assert (
        order.status == "CANCELLED"
        and order.filled_quantity == best_ask[1]
        and order.cancelled_quantity == 3
    )


def test_sell_stop_triggers_once_the_price_falls_through() -> None:
    desk = Desk()
    trigger = desk.quote().last_price - 5
    order = desk.place(
        transaction_type="SELL",
        order_type="SL-M",
        trigger_price=f"{trigger / 100:.2f}",
        market_protection=3,
    )
    assert order.status == "TRIGGER PENDING"
    for _ in range(3600):
        desk.clock.advance(timedelta(seconds=1))
        desk.broker.match_open_orders()
        if order.triggered:
            break
    assert order.triggered and order.status == "COMPLETE"
    assert desk.quote().last_price <= trigger


def test_limit_outside_circuit_band_is_rejected_by_the_exchange() -> None:
    desk = Desk()
    order = desk.place(order_type="LIMIT", price=f"{desk.quote().upper_circuit / 100 + 5:.2f}")
    assert order.status == "REJECTED" and "circuit" in order.status_message


def test_regular_orders_are_refused_when_the_market_is_closed_and_amo_waits_for_the_open() -> None:
    desk = Desk(START.replace(hour=8))
    with pytest.raises(InputError, match="closed"):
        desk.place(order_type="LIMIT", price="1500")
    order = desk.place("amo", order_type="MARKET", market_protection=-1)
    assert order.status == "AMO REQ RECEIVED"
    desk.clock.set(START)
    desk.broker.match_open_orders()
    assert order.status == "COMPLETE" and order.exchange_order_id


def test_orders_belong_to_their_api_key() -> None:
    desk = Desk()
    order = desk.place(order_type="MARKET", market_protection=-1)
    assert desk.broker.orders("someone-else") == []
    with pytest.raises(InputError):
        desk.broker.order("someone-else", order.order_id)


def test_order_history_walks_through_kite_statuses() -> None:
    desk = Desk()
    order = desk.place(order_type="MARKET", market_protection=-1)
    assert [state["status"] for state in order.history] == [
        "PUT ORDER REQ RECEIVED",
        "VALIDATION PENDING",
        "OPEN PENDING",
        "OPEN",
        "COMPLETE",
    ]


def test_rejected_modification_leaves_the_order_untouched() -> None:
    desk = Desk()
    order = desk.place(
        order_type="LIMIT", price=f"{desk.quote().last_price * 0.95 / 100:.1f}", quantity=2
    )
    before = (order.order_type, order.quantity, order.price)
    with pytest.raises(InputError):
        desk.broker.modify(KEY, "regular", order.order_id, {"quantity": "5", "order_type": "SL"})
    assert (order.order_type, order.quantity, order.price) == before and order.status == "OPEN"
