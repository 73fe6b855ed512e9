"""Orders as Kite models them: request validation, state, history and the JSON Kite returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import json_rupees, to_paise
from alpha_panda.domain.values import IST
from kite_sim.errors import InputError

VARIETIES = ("regular", "amo")
ORDER_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")
PRODUCTS = ("CNC", "MIS", "NRML", "MTF")
VALIDITIES = ("DAY", "IOC", "TTL")
MAX_TAG_LENGTH = 20
OPEN_STATUSES = ("OPEN", "TRIGGER PENDING", "AMO REQ RECEIVED")


def kite_time(instant: datetime | None) -> str | None:
    """Format an instant the way Kite's JSON does: `YYYY-MM-DD HH:MM:SS` in IST."""
    return instant.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S") if instant else None


def _decimal(params: Mapping[str, str], name: str) -> Decimal | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"Invalid `{name}`.") from None
    if not value.is_finite():
        raise InputError(f"Invalid `{name}`.")
    return value


def _price(params: Mapping[str, str], name: str, instrument: ListedInstrument) -> int:
    value = _decimal(params, name)
    if value is None or value <= 0:
        raise InputError(f"Missing or invalid `{name}`.")
    tick = instrument.tick_size
    if tick and value % tick:
        raise InputError(
            f"Tick size for this script is {tick}. Kindly enter `{name}` in multiples of tick size."
        )
    return to_paise(value)


def _choice(
    params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise InputError(f"Invalid `{name}`.")
    return value


@dataclass(frozen=True)
class OrderRequest:
    """A validated place-order request."""

    instrument: ListedInstrument
    transaction_type: str
    order_type: str
    product: str
    validity: str
    quantity: int
    price: int
    trigger_price: int
    market_protection: Decimal | None
    disclosed_quantity: int
    tag: str | None


def _market_protection(params: Mapping[str, str], order_type: str) -> Decimal | None:
    value = _decimal(params, "market_protection")
    if order_type not in ("MARKET", "SL-M"):
        return value
    if value is None:
        raise InputError("`market_protection` is required for MARKET and SL-M orders.")
    if value != -1 and not 0 < value <= 100:
        raise InputError("Invalid `market_protection`: use -1 or a percentage above 0 up to 100.")
    return value


def _quantity(params: Mapping[str, str], instrument: ListedInstrument) -> int:
    text = params.get("quantity", "")
    if not text.isdigit() or int(text) <= 0:
        raise InputError("Missing or invalid `quantity`.")
    quantity = int(text)
    if quantity % max(instrument.lot_size, 1):
        raise InputError(f"Quantity should be a multiple of lot size ({instrument.lot_size}).")
    return quantity


def parse_order_request(params: Mapping[str, str], registry: InstrumentRegistry) -> OrderRequest:
    """Validate place-order form fields as Kite does, raising InputError on bad input."""
    exchange = params.get("exchange", "")
    symbol = params.get("tradingsymbol", "")
    if not exchange or not symbol:
        raise InputError("Missing `exchange` or `tradingsymbol`.")
    instrument = registry.by_key(f"{exchange}:{symbol}")
    if instrument is None or instrument.is_index:
        raise InputError("Invalid `tradingsymbol`.")
    order_type = _choice(params, "order_type", ORDER_TYPES)
    tag = params.get("tag") or None
    if tag is not None and len(tag) > MAX_TAG_LENGTH:
        raise InputError(f"`tag` can be at most {MAX_TAG_LENGTH} characters.")
    return OrderRequest(
        instrument=instrument,
        transaction_type=_choice(params, "transaction_type", ("BUY", "SELL")),
        order_type=order_type,
        product=_choice(params, "product", PRODUCTS),
        validity=_choice(params, "validity", VALIDITIES, "DAY"),
        quantity=_quantity(params, instrument),
        price=_price(params, "price", instrument) if order_type in ("LIMIT", "SL") else 0,
        trigger_price=_price(params, "trigger_price", instrument)
        if order_type in ("SL", "SL-M")
        else 0,
        market_protection=_market_protection(params, order_type),
        disclosed_quantity=int(params.get("disclosed_quantity") or 0),
        tag=tag,
    )


ModificationCheck = Callable[[str, int, int], None]
"""Validates a modified order's type, price and trigger (paise) before it changes."""


def apply_modification(
    order: Order, params: Mapping[str, str], check: ModificationCheck | None = None
) -> None:
    """Apply modify-order fields to an open order; on bad input raise and change nothing."""
    instrument = order.instrument
    order_type = order.order_type
    if params.get("order_type"):
        order_type = _choice(params, "order_type", ORDER_TYPES)
    quantity = _quantity(params, instrument) if params.get("quantity") else order.quantity
    if quantity < order.filled_quantity:
        raise InputError("Quantity cannot be less than the filled quantity.")
    price = _price(params, "price", instrument) if params.get("price") else order.price
    trigger = order.trigger_price
    if params.get("trigger_price"):
        trigger = _price(params, "trigger_price", instrument)
    protection = order.market_protection
    if params.get("market_protection") or order_type in ("MARKET", "SL-M"):
        merged = {"market_protection": str(protection or ""), **params}
        protection = _market_protection(merged, order_type)
    if order_type in ("LIMIT", "SL") and not price:
        raise InputError("Missing or invalid `price`.")
    if order_type in ("SL", "SL-M") and not trigger:
        raise InputError("Missing or invalid `trigger_price`.")
    if check is not None:
        check(order_type, price, trigger)
    order.order_type, order.quantity, order.price = order_type, quantity, price
    order.trigger_price, order.market_protection = trigger, protection


@dataclass
class Order:
    """One order's current state and the history of states it went through."""

    order_id: str
    api_key: str
    user_id: str
    variety: str
    instrument: ListedInstrument
    transaction_type: str
    order_type: str
    product: str
    validity: str
    quantity: int
    price: int
    trigger_price: int
    market_protection: Decimal | None
    disclosed_quantity: int
    tag: str | None
    order_timestamp: datetime
    status: str = "PUT ORDER REQ RECEIVED"
    status_message: str | None = None
    exchange_order_id: str | None = None
    exchange_timestamp: datetime | None = None
    filled_quantity: int = 0
    filled_value: int = 0
    cancelled_quantity: int = 0
    triggered: bool = False
    modified: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending_quantity(self) -> int:
        """Return the quantity still working on the exchange."""
        if self.status not in OPEN_STATUSES:
            return 0
        return self.quantity - self.filled_quantity - self.cancelled_quantity

    @property
    def is_open(self) -> bool:
        """Return whether the order can still fill, be modified or be cancelled."""
        return self.status in OPEN_STATUSES

    def record(self, status: str, instant: datetime, message: str | None = None) -> dict[str, Any]:
        """Move to `status`, append the new state to the history and return it as JSON."""
        self.status = status
        self.status_message = message
        if status not in ("PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING"):
            self.exchange_timestamp = instant
        snapshot = self.to_json(instant)
        self.history.append(snapshot)
        return snapshot

    def to_json(self, instant: datetime | None = None) -> dict[str, Any]:
        """Return the order as Kite's order book shows it."""
        instrument = self.instrument
        average = self.filled_value / self.filled_quantity if self.filled_quantity else 0
        return {
            "placed_by": self.user_id,
            "order_id": self.order_id,
            "exchange_order_id": self.exchange_order_id,
            "parent_order_id": None,
            "status": self.status,
            "status_message": self.status_message,
            "status_message_raw": self.status_message,
            "order_timestamp": kite_time(self.order_timestamp),
            "exchange_update_timestamp": kite_time(instant or self.exchange_timestamp),
            "exchange_timestamp": kite_time(self.exchange_timestamp),
            "variety": self.variety,
            "modified": self.modified,
            "exchange": instrument.exchange,
            "tradingsymbol": instrument.tradingsymbol,
            "instrument_token": instrument.instrument_token,
            "order_type": self.order_type,
            "transaction_type": self.transaction_type,
            "validity": self.validity,
            "validity_ttl": 0,
            "product": self.product,
            "quantity": self.quantity,
            "disclosed_quantity": self.disclosed_quantity,
            "price": json_rupees(self.price),
            "trigger_price": json_rupees(self.trigger_price),
            "average_price": json_rupees(average),
            "filled_quantity": self.filled_quantity,
            "pending_quantity": self.pending_quantity,
            "cancelled_quantity": self.cancelled_quantity,
            "market_protection": float(self.market_protection or 0),
            "meta": {},
            "tag": self.tag,
            "tags": [self.tag] if self.tag else [],
            "guid": f"{self.api_key}-{self.order_id}",
        }
