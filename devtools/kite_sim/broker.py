"""The simulated exchange and order management: orders matched against the simulated book.

An order walks the opposite side of the book level by level up to its limit (or, for MARKET and
SL-M orders, up to the market-protection price), so large orders fill partially across levels
and the rest keeps working on later quotes. Liquidity taken at a quote is not offered again
until the quote changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.backtest.generated_market.quotes import MarketModel, Quote, json_rupees
from kite_sim.clock import SessionPhase, SimulatedClock
from kite_sim.errors import InputError
from kite_sim.order_rules import check_order_type, check_session, check_stoploss
from kite_sim.orders import (
    VARIETIES,
    Order,
    apply_modification,
    kite_time,
    parse_order_request,
)

AUTO_MARKET_PROTECTION = Decimal(2)
OrderListener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Trade:
    """One fill of an order at one price."""

    trade_id: str
    order: Order
    quantity: int
    price: int
    instant: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the trade as Kite's trade book shows it."""
        order = self.order
        return {
            "trade_id": self.trade_id,
            "order_id": order.order_id,
            "exchange": order.instrument.exchange,
            "tradingsymbol": order.instrument.tradingsymbol,
            "instrument_token": order.instrument.instrument_token,
            "product": order.product,
            "average_price": json_rupees(self.price),
            "quantity": self.quantity,
            "exchange_order_id": order.exchange_order_id,
            "transaction_type": order.transaction_type,
            "fill_timestamp": kite_time(self.instant),
            "order_timestamp": kite_time(order.order_timestamp),
            "exchange_timestamp": kite_time(self.instant),
        }


class Broker:
    """Keep each API key's orders and trades; match open orders whenever quotes move."""

    def __init__(
        self,
        registry: InstrumentRegistry,
        market: MarketModel,
        clock: SimulatedClock,
        on_order_update: OrderListener | None = None,
    ) -> None:
        self._registry = registry
        self._market = market
        self._clock = clock
        self._notify = on_order_update or (lambda api_key, order: None)
        self._orders: dict[str, Order] = {}
        self._working: dict[str, Order] = {}
        self._trades: list[Trade] = []
        self._numbers = itertools.count(1)
        self._taken: dict[tuple[int, int, str], list[int]] = {}

    def place(self, api_key: str, user_id: str, variety: str, params: Mapping[str, str]) -> Order:
        """Validate and place an order, then try to match it at once."""
        if variety not in VARIETIES:
            raise InputError("Invalid `variety`.")
        request = parse_order_request(params, self._registry)
        now = self._clock.now()
        instrument = request.instrument
        check_session(variety, instrument, request.order_type, now)
        check_order_type(variety, instrument, request.order_type)
        check_stoploss(
            request.transaction_type,
            request.order_type,
            request.price,
            request.trigger_price,
            self._market.quote(instrument.instrument_token, now),
        )
        number = next(self._numbers)
        order = Order(
            order_id=f"{now:%y%m%d}{number:09d}",
            api_key=api_key,
            user_id=user_id,
            variety=variety,
            instrument=request.instrument,
            transaction_type=request.transaction_type,
            order_type=request.order_type,
            product=request.product,
            validity=request.validity,
            quantity=request.quantity,
            price=request.price,
            trigger_price=request.trigger_price,
            market_protection=request.market_protection,
            disclosed_quantity=request.disclosed_quantity,
            tag=request.tag,
            order_timestamp=now,
        )
        self._orders[order.order_id] = order
        self._working[order.order_id] = order
        for status in ("PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING"):
            order.record(status, now)
        if variety == "amo":
            self._publish(order, order.record("AMO REQ RECEIVED", now))
            return order
        order.exchange_order_id = f"1{number:015d}"
        self._admit(order, now)
        return order

    def modify(self, api_key: str, variety: str, order_id: str, params: Mapping[str, str]) -> Order:
        """Modify an open order's quantity, price, trigger or type; match it again."""
        order = self._own(api_key, order_id, variety)
        now = self._clock.now()
        quote = self._market.quote(order.instrument.instrument_token, now)

        def check(order_type: str, price: int, trigger: int) -> None:
            check_order_type(variety, order.instrument, order_type)
            check_stoploss(order.transaction_type, order_type, price, trigger, quote)

        apply_modification(order, params, check)
        order.modified = True
        status = (
            "TRIGGER PENDING"
            if order.order_type in ("SL", "SL-M") and not order.triggered
            else order.status
        )
        self._publish(order, order.record(status, now))
        self._match(order, now)
        return order

    def cancel(self, api_key: str, variety: str, order_id: str) -> Order:
        """Cancel the unfilled rest of an open order."""
        order = self._own(api_key, order_id, variety)
        order.cancelled_quantity = order.quantity - order.filled_quantity
        self._publish(order, order.record("CANCELLED", self._clock.now(), "Cancelled by user"))
        return order

    def orders(self, api_key: str) -> list[Order]:
        """Return the API key's orders of the day, oldest first."""
        return [order for order in self._orders.values() if order.api_key == api_key]

    def order(self, api_key: str, order_id: str) -> Order:
        """Return one of the API key's orders or raise InputError."""
        order = self._orders.get(order_id)
        if order is None or order.api_key != api_key:
            raise InputError("Couldn't find that `order_id`.")
        return order

    def trades(self, api_key: str, order_id: str | None = None) -> list[Trade]:
        """Return the API key's trades, optionally of one order."""
        return [
            trade
            for trade in self._trades
            if trade.order.api_key == api_key and order_id in (None, trade.order.order_id)
        ]

    def match_open_orders(self) -> None:
        """Release AMOs once the market opens and match every open order at current quotes."""
        if self._clock.phase() is not SessionPhase.OPEN:
            return
        now = self._clock.now()
        for order in list(self._working.values()):
            if order.status == "AMO REQ RECEIVED":
                order.exchange_order_id = f"1{order.order_id[-9:]:0>15}"
                self._admit(order, now)
            else:
                self._match(order, now)
            if not order.is_open:
                del self._working[order.order_id]

    def _own(self, api_key: str, order_id: str, variety: str) -> Order:
        order = self.order(api_key, order_id)
        if order.variety != variety:
            raise InputError("Invalid `variety` for this order.")
        if not order.is_open:
            raise InputError(f"Order cannot be modified or cancelled as it is {order.status}.")
        return order

    def _admit(self, order: Order, now: datetime) -> None:
        quote = self._market.quote(order.instrument.instrument_token, now)
        price = order.price or order.trigger_price
        outside = quote is not None and not quote.lower_circuit <= price <= quote.upper_circuit
        if outside and price and quote is not None and quote.upper_circuit:
            message = "Order price is outside the circuit limits."
            self._publish(order, order.record("REJECTED", now, message))
            return
        initial = "TRIGGER PENDING" if order.order_type in ("SL", "SL-M") else "OPEN"
        self._publish(order, order.record(initial, now))
        self._match(order, now)

    def _match(self, order: Order, now: datetime) -> None:
        if not order.is_open or self._clock.phase() is not SessionPhase.OPEN:
            return  # orders collected in the pre-open wait for continuous trading
        quote = self._market.quote(order.instrument.instrument_token, now)
        if quote is None:
            return
        buying = order.transaction_type == "BUY"
        if order.order_type in ("SL", "SL-M") and not order.triggered:
            crossed = (
                quote.last_price >= order.trigger_price
                if buying
                else quote.last_price <= order.trigger_price
            )
            if not crossed:
                return
            order.triggered = True
            self._publish(order, order.record("OPEN", now))
        limit = self._limit(order, quote)
        filled_before = order.filled_quantity
        levels = quote.asks if buying else quote.bids
        taken = self._taken_at(quote, "ask" if buying else "bid")
        for position, (price, quantity, _) in enumerate(levels):
            remaining = order.quantity - order.filled_quantity - order.cancelled_quantity
            if remaining <= 0 or (price > limit if buying else price < limit):
                break
            fill = min(remaining, quantity - taken[position])
            if fill <= 0:
                continue
            taken[position] += fill
            order.filled_quantity += fill
            order.filled_value += fill * price
            trade_id = f"{next(self._numbers):08d}"
            self._trades.append(Trade(trade_id, order, fill, price, now))
        if order.filled_quantity == order.quantity:
            self._publish(order, order.record("COMPLETE", now))
        elif order.validity == "IOC":
            order.cancelled_quantity = order.quantity - order.filled_quantity
            self._publish(order, order.record("CANCELLED", now, "IOC order unfilled"))
        elif order.filled_quantity > filled_before:
            order.history.append(order.to_json(now))
            self._publish(order, {**order.to_json(now), "status": "UPDATE"})

    def _limit(self, order: Order, quote: Quote) -> int:
        if order.order_type in ("LIMIT", "SL"):
            return order.price
        percent = order.market_protection or AUTO_MARKET_PROTECTION
        if percent < 0:
            percent = AUTO_MARKET_PROTECTION
        factor = 1 + percent / 100 if order.transaction_type == "BUY" else 1 - percent / 100
        return int(quote.last_price * factor)

    def _taken_at(self, quote: Quote, side: str) -> list[int]:
        key = (quote.instrument_token, quote.sequence, side)
        if key not in self._taken:
            stale = [
                old for old in self._taken if old[0] == quote.instrument_token and old[2] == side
            ]
            for old in stale:
                del self._taken[old]
            self._taken[key] = [0] * len(quote.asks if side == "ask" else quote.bids)
        return self._taken[key]

    def _publish(self, order: Order, snapshot: dict[str, Any]) -> None:
        self._notify(order.api_key, snapshot)
