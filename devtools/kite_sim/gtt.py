"""GTT (good till triggered) orders: triggers that place a LIMIT order when the price crosses.

A `single` GTT fires once the last price reaches its one trigger value from the side it was
placed on; a `two-leg` (OCO) GTT has a lower and an upper trigger bracketing the price and
fires the leg whose trigger is crossed. Firing places the leg's order as a regular LIMIT order
with the broker and records the outcome in the leg's `result`, as Kite's GTT book shows it.
Triggers are checked on every tick round while the market is open.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import MarketModel, json_rupees, to_paise
from kite_sim.broker import Broker
from kite_sim.clock import SessionPhase, SimulatedClock
from kite_sim.errors import InputError, KiteError
from kite_sim.orders import PRODUCTS, kite_time

GTT_TYPES = {"single": 1, "two-leg": 2}
"""GTT types and how many trigger values and orders each has."""
GTT_LIFETIME = timedelta(days=365)
FIRST_TRIGGER_ID = 100001


@dataclass(frozen=True)
class GttLeg:
    """The LIMIT order one trigger places."""

    transaction_type: str
    quantity: int
    product: str
    price: int


@dataclass
class Gtt:
    """One GTT: its condition, its legs and, once fired, each leg's order outcome."""

    trigger_id: int
    api_key: str
    user_id: str
    kind: str
    instrument: ListedInstrument
    trigger_values: tuple[int, ...]
    last_price: int
    legs: tuple[GttLeg, ...]
    created_at: datetime
    updated_at: datetime
    status: str = "active"
    results: list[dict[str, Any] | None] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the GTT as Kite's GTT book shows it."""
        instrument = self.instrument
        results = self.results or [None] * len(self.legs)
        return {
            "id": self.trigger_id,
            "user_id": self.user_id,
            "parent_trigger": None,
            "type": self.kind,
            "created_at": kite_time(self.created_at),
            "updated_at": kite_time(self.updated_at),
            "expires_at": kite_time(self.created_at + GTT_LIFETIME),
            "status": self.status,
            "condition": {
                "exchange": instrument.exchange,
                "tradingsymbol": instrument.tradingsymbol,
                "instrument_token": instrument.instrument_token,
                "trigger_values": [json_rupees(value) for value in self.trigger_values],
                "last_price": json_rupees(self.last_price),
            },
            "orders": [
                {
                    "exchange": instrument.exchange,
                    "tradingsymbol": instrument.tradingsymbol,
                    "product": leg.product,
                    "order_type": "LIMIT",
                    "transaction_type": leg.transaction_type,
                    "quantity": leg.quantity,
                    "price": json_rupees(leg.price),
                    "result": result,
                }
                for leg, result in zip(self.legs, results, strict=True)
            ],
            "meta": {},
        }


def _json(form: Mapping[str, str], name: str) -> Any:
    try:
        return json.loads(form.get(name) or "")
    except json.JSONDecodeError:
        raise InputError(f"Invalid `{name}`.") from None


def _paise(value: object, name: str, tick: Decimal | None = None) -> int:
    try:
        rupees = Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"Invalid `{name}`.") from None
    if not rupees.is_finite() or rupees <= 0:
        raise InputError(f"Invalid `{name}`.")
    if tick and rupees % tick:
        raise InputError(
            f"Tick size for this script is {tick}. Kindly enter `{name}` in multiples of tick size."
        )
    return to_paise(rupees.quantize(Decimal("0.01")))


def _leg(order: object, instrument: ListedInstrument) -> GttLeg:
    if not isinstance(order, dict):
        raise InputError("Invalid `orders`.")
    if (order.get("exchange"), order.get("tradingsymbol")) != (
        instrument.exchange,
        instrument.tradingsymbol,
    ):
        raise InputError("GTT orders must be for the instrument of the condition.")
    if order.get("order_type", "LIMIT") != "LIMIT":
        raise InputError("Invalid `order_type`: GTT orders are LIMIT orders.")
    side, product, quantity = (
        order.get(key) for key in ("transaction_type", "product", "quantity")
    )
    if side not in ("BUY", "SELL"):
        raise InputError("Invalid `transaction_type`.")
    if product not in PRODUCTS:
        raise InputError("Invalid `product`.")
    lot = max(instrument.lot_size, 1)
    if not isinstance(quantity, int) or quantity <= 0 or quantity % lot:
        raise InputError(f"Quantity should be a positive multiple of lot size ({lot}).")
    price = _paise(order.get("price"), "price", instrument.tick_size)
    return GttLeg(side, quantity, product, price)


def parse_gtt(form: Mapping[str, str], registry: InstrumentRegistry) -> tuple[Any, ...]:
    """Validate a GTT form; return (type, instrument, trigger values, last price, legs)."""
    kind = form.get("type", "")
    if kind not in GTT_TYPES:
        raise InputError("Invalid `type`.")
    condition, orders = _json(form, "condition"), _json(form, "orders")
    if not isinstance(condition, dict) or not isinstance(orders, list):
        raise InputError("Invalid `condition` or `orders`.")
    instrument = registry.by_key(f"{condition.get('exchange')}:{condition.get('tradingsymbol')}")
    if instrument is None or instrument.is_index:
        raise InputError("Invalid `tradingsymbol`.")
    values = condition.get("trigger_values")
    count = GTT_TYPES[kind]
    if not isinstance(values, list) or len(values) != count or len(orders) != count:
        raise InputError(f"A {kind} GTT takes {count} trigger value(s) and {count} order(s).")
    triggers = tuple(_paise(value, "trigger_values") for value in values)
    last = _paise(condition.get("last_price"), "last_price")
    if kind == "two-leg" and not triggers[0] < last < triggers[1]:
        raise InputError("Trigger prices must bracket current price.")
    if kind == "single" and triggers[0] == last:
        raise InputError("Trigger value cannot be equal to the last price.")
    return kind, instrument, triggers, last, tuple(_leg(order, instrument) for order in orders)


class GttBook:
    """Keep each API key's GTTs and fire them against the market through the broker."""

    def __init__(
        self,
        registry: InstrumentRegistry,
        market: MarketModel,
        clock: SimulatedClock,
        broker: Broker,
    ) -> None:
        self._registry = registry
        self._market = market
        self._clock = clock
        self._broker = broker
        self._gtts: dict[int, Gtt] = {}
        self._ids = itertools.count(FIRST_TRIGGER_ID)

    def place(self, api_key: str, user_id: str, form: Mapping[str, str]) -> Gtt:
        """Validate and store a new active GTT."""
        kind, instrument, triggers, last, legs = parse_gtt(form, self._registry)
        now = self._clock.now()
        gtt = Gtt(
            next(self._ids), api_key, user_id, kind, instrument, triggers, last, legs, now, now
        )
        self._gtts[gtt.trigger_id] = gtt
        return gtt

    def modify(self, api_key: str, trigger_id: int, form: Mapping[str, str]) -> Gtt:
        """Replace an active GTT's condition and orders; on bad input change nothing."""
        gtt = self._active(api_key, trigger_id)
        kind, instrument, triggers, last, legs = parse_gtt(form, self._registry)
        if instrument != gtt.instrument:
            raise InputError("A GTT's instrument cannot be modified.")
        gtt.kind, gtt.trigger_values, gtt.last_price, gtt.legs = kind, triggers, last, legs
        gtt.updated_at = self._clock.now()
        return gtt

    def delete(self, api_key: str, trigger_id: int) -> Gtt:
        """Delete an active GTT; it stays in the book with status `deleted`."""
        gtt = self._active(api_key, trigger_id)
        gtt.status, gtt.updated_at = "deleted", self._clock.now()
        return gtt

    def get(self, api_key: str, trigger_id: int) -> Gtt:
        """Return one of the API key's GTTs or raise InputError."""
        gtt = self._gtts.get(trigger_id)
        if gtt is None or gtt.api_key != api_key:
            raise InputError("Couldn't find that `trigger_id`.")
        return gtt

    def gtts(self, api_key: str) -> list[Gtt]:
        """Return the API key's GTTs, newest first."""
        return sorted(
            (gtt for gtt in self._gtts.values() if gtt.api_key == api_key),
            key=lambda gtt: gtt.trigger_id,
            reverse=True,
        )

    def fire_triggered(self) -> None:
        """Place the order of every active GTT whose trigger the last price has crossed."""
        if self._clock.phase() is not SessionPhase.OPEN:
            return
        now = self._clock.now()
        for gtt in [gtt for gtt in self._gtts.values() if gtt.status == "active"]:
            quote = self._market.quote(gtt.instrument.instrument_token, now)
            if quote is None:
                continue
            leg = _crossed_leg(gtt, quote.last_price)
            if leg is not None:
                self._fire(gtt, leg, quote.last_price, now)

    def _active(self, api_key: str, trigger_id: int) -> Gtt:
        gtt = self.get(api_key, trigger_id)
        if gtt.status != "active":
            raise InputError(f"GTT cannot be modified or deleted as it is {gtt.status}.")
        return gtt

    def _fire(self, gtt: Gtt, index: int, last_price: int, now: datetime) -> None:
        leg = gtt.legs[index]
        instrument = gtt.instrument
        params = {
            "exchange": instrument.exchange,
            "tradingsymbol": instrument.tradingsymbol,
            "transaction_type": leg.transaction_type,
            "quantity": str(leg.quantity),
            "product": leg.product,
            "order_type": "LIMIT",
            "price": f"{Decimal(leg.price) / 100:.2f}",
        }
        try:
            order = self._broker.place(gtt.api_key, gtt.user_id, "regular", params)
            outcome = {"status": "success", "order_id": order.order_id, "rejection_reason": ""}
        except KiteError as error:
            outcome = {"status": "failed", "order_id": "", "rejection_reason": error.message}
        gtt.results = [None] * len(gtt.legs)
        gtt.results[index] = {
            "account_id": gtt.user_id,
            "exchange": instrument.exchange,
            "tradingsymbol": instrument.tradingsymbol,
            "validity": "DAY",
            "product": leg.product,
            "order_type": "LIMIT",
            "transaction_type": leg.transaction_type,
            "quantity": leg.quantity,
            "price": json_rupees(leg.price),
            "meta": "",
            "timestamp": kite_time(now),
            "triggered_at": json_rupees(last_price),
            "order_result": outcome,
        }
        gtt.status, gtt.updated_at = "triggered", now


def _crossed_leg(gtt: Gtt, last_price: int) -> int | None:
    if gtt.kind == "two-leg":
        lower, upper = gtt.trigger_values
        if last_price <= lower:
            return 0
        return 1 if last_price >= upper else None
    (trigger,) = gtt.trigger_values
    rising = trigger > gtt.last_price
    return 0 if (last_price >= trigger if rising else last_price <= trigger) else None
