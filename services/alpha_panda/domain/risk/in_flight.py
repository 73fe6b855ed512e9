"""Orders validated but not yet filled: exposure the risk rules count until it is released."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import Side

ZERO = Decimal(0)
CLOSED_ORDERS_KEPT = 10_000
"""Order ids remembered after their exposure was released, so a repeated report of one
cannot release another order's exposure; far more than a namespace places in a day."""


class InFlightOrder:
    """One validated order's quantity that no fill, failure or timeout has released yet."""

    __slots__ = ("order_id", "ordered", "price", "quantity", "side", "since")

    def __init__(
        self,
        side: Side,
        ordered: int,
        price: Decimal,
        since: datetime,
        quantity: int | None = None,
        order_id: str | None = None,
    ) -> None:
        self.side = side
        self.ordered = ordered
        self.quantity = ordered if quantity is None else quantity
        self.price = price
        self.since = since
        self.order_id = order_id
        """The broker-side order id, learnt from the order's first fill or failure."""


class InFlightOrders:
    """The orders in flight of a namespace, per strategy and instrument.

    A report (fill or failure) names its order by id, but a validation does not know the id
    the trading engine will give the order, so the first report of an order binds it to an
    unbound order of the same strategy, instrument and side: preferably one of the same total
    quantity, else the oldest that is large enough. Later reports of that id release from the
    same order, never more than it holds, and a report of an order it has closed releases
    nothing; so a misreport leaves exposure counted (until the timeout) rather than releasing
    another order's.
    """

    def __init__(self) -> None:
        self._orders: dict[tuple[str, int], list[InFlightOrder]] = {}
        self._closed: dict[str, None] = {}

    def add(self, signal: Signal, price: Decimal, since: datetime) -> None:
        """Count a validated signal's quantity at its order price from `since` on."""
        key = (signal.strategy_id, signal.instrument_token)
        order = InFlightOrder(signal.side, signal.quantity, price, since)
        self._orders.setdefault(key, []).append(order)

    def quantity(self, strategy_id: str, instrument_token: int, side: Side) -> int:
        """Return the quantity in flight on one side of a strategy's instrument."""
        orders = self._orders.get((strategy_id, instrument_token))
        if not orders:
            return 0
        return sum(order.quantity for order in orders if order.side is side)

    def instruments(self, strategy_id: str) -> Iterator[tuple[int, int, int, Decimal]]:
        """Yield (instrument token, quantity bought, quantity sold, latest order price) of
        a strategy's orders in flight."""
        for (owner, token), orders in self._orders.items():
            if owner == strategy_id:
                bought = sum(order.quantity for order in orders if order.side is Side.BUY)
                sold = sum(order.quantity for order in orders) - bought
                yield token, bought, sold, orders[-1].price

    def unrealized_pnl(
        self, strategy_id: str | None, last_prices: Mapping[int, Decimal]
    ) -> Decimal:
        """Return what the orders in flight (of one strategy, or all) would be worth if filled
        at their order price and marked at the last price: the P&L their fills will book."""
        total = ZERO
        for (owner, token), orders in self._orders.items():
            last = last_prices.get(token)
            if last is None or (strategy_id is not None and owner != strategy_id):
                continue
            for order in orders:
                total += order.side.sign * order.quantity * (last - order.price)
        return total

    def on_fill(self, fill: OrderFilled) -> None:
        """Release the quantity of a (new) fill from the order it belongs to."""
        ordered = fill.quantity + fill.remaining_quantity
        key = (fill.strategy_id, fill.instrument_token)
        self._release(key, fill.side, fill.order_id, ordered, fill.quantity)

    def on_order_failed(self, failed: OrderFailed) -> None:
        """Release the quantity an order will never fill (rejected, cancelled, failed)."""
        key = (failed.strategy_id, failed.instrument_token)
        self._release(key, failed.side, failed.order_id, failed.quantity, failed.quantity)

    def expire(self, now: datetime, timeout: timedelta) -> None:
        """Release every order in flight since `timeout` or longer before `now`."""
        deadline = now - timeout
        for key in [key for key, orders in self._orders.items() if orders[0].since <= deadline]:
            kept = []
            for order in self._orders[key]:
                if order.since > deadline:
                    kept.append(order)
                elif order.order_id is not None:
                    self._close(order.order_id)
            if kept:
                self._orders[key] = kept
            else:
                del self._orders[key]

    def snapshot(self) -> dict[str, Any]:
        """Return the orders in flight and the recently closed order ids as JSON-able data."""
        return {
            "orders": [
                {
                    "strategy_id": owner,
                    "instrument_token": token,
                    "side": order.side.value,
                    "ordered": order.ordered,
                    "quantity": order.quantity,
                    "price": str(order.price),
                    "since": order.since.isoformat(),
                    "order_id": order.order_id,
                }
                for (owner, token), orders in sorted(self._orders.items())
                for order in orders
            ],
            "closed": list(self._closed),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the orders in flight with a `snapshot` result."""
        self._orders = {}
        for saved in data["orders"]:
            order = InFlightOrder(
                Side(saved["side"]),
                int(saved["ordered"]),
                Decimal(saved["price"]),
                datetime.fromisoformat(saved["since"]),
                quantity=int(saved["quantity"]),
                order_id=saved["order_id"],
            )
            key = (saved["strategy_id"], int(saved["instrument_token"]))
            self._orders.setdefault(key, []).append(order)
        self._closed = dict.fromkeys(data["closed"])

    def _release(
        self, key: tuple[str, int], side: Side, order_id: str, ordered: int, quantity: int
    ) -> None:
        if order_id in self._closed:
            return
        orders = self._orders.get(key)
        order = _belonging(orders or [], side, order_id, ordered)
        if orders is None or order is None:
            return
        order.order_id = order_id
        order.quantity -= min(quantity, order.quantity)
        if order.quantity:
            return
        orders.remove(order)
        if not orders:
            del self._orders[key]
        self._close(order_id)

    def _close(self, order_id: str) -> None:
        self._closed[order_id] = None
        if len(self._closed) > CLOSED_ORDERS_KEPT:
            del self._closed[next(iter(self._closed))]


def _belonging(
    orders: list[InFlightOrder], side: Side, order_id: str, ordered: int
) -> InFlightOrder | None:
    """Return the order a report of `order_id` belongs to, binding an unbound one if needed.

    `ordered` is the least the order's quantity can be (a fill's quantity plus what remains);
    an unbound order of exactly that quantity is preferred, else the oldest large enough.
    """
    for order in orders:
        if order.order_id == order_id:
            return order
    fitting = [
        order
        for order in orders
        if order.order_id is None and order.side is side and order.ordered >= ordered
    ]
    exact = next((order for order in fitting if order.ordered == ordered), None)
    return exact or (fitting[0] if fitting else None)
