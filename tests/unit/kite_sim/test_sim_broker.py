"""Order matching of the simulator's broker against its generated book, without a server."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.domain.values import IST
from kite_sim.broker import Broker
from kite_sim.clock import SimulatedClock
from kite_sim.errors import InputError

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
KEY = "sim_key"


class Desk:
    """A broker on a frozen clock, recording the order updates it publishes."""

    def __init__(self, start: datetime = START) -> None:
        self.clock = SimulatedClock(start, speed=0)
        registry = InstrumentRegistry.build(start.date())
        self.market = GeneratedMarket(registry, start, seed=4)
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.broker = Broker(
            registry, self.market, self.clock, lambda key, order: self.updates.append((key, order))
        )

    def place(self, variety: str = "regular", **fields: object) -> Any:
        order = {
            "exchange": "NSE",
            "tradingsymbol": "INFY",
            "transaction_type": "BUY",
            "quantity": "1",
            "product": "MIS",
        }
        order.update({key: str(value) for key, value in fields.items()})
        return self.broker.place(KEY, "AP0001", variety, order)

    def quote(self, token: int = 408065) -> Any:
        return self.market.quote(token, self.clock.now())


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
    last = desk.quote().last_price
    order = desk.place(
        transaction_type="SELL",
        order_type="SL-M",
        trigger_price=f"{(last - 5) / 100:.2f}",
        market_protection=3,
    )
    assert order.status == "TRIGGER PENDING"
    desk.broker.modify(KEY, "regular", order.order_id, {"trigger_price": f"{(last + 5) / 100:.2f}"})
    assert order.triggered and order.status == "COMPLETE"


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
