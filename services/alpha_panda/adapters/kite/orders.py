"""Kite's order and trade books, as the official client returns them, turned into order events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.orders import BrokerOrderUpdate, OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.values import IST

KiteRecord = Mapping[str, Any]
FINAL_FAILURES = ("REJECTED", "CANCELLED")


def kite_instant(value: object, default: datetime) -> datetime:
    """Return an aware instant from Kite's naive IST timestamp, parsed by the client or not."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return default
    return value if value.tzinfo else value.replace(tzinfo=IST)


def kite_price(value: object) -> Decimal:
    """Return a price Kite sent as a JSON number as the exact decimal it was written as."""
    return Decimal(str(value))


def fills(
    placed: OrderPlaced,
    trades: Sequence[KiteRecord],
    schedule: ChargeSchedule,
    product: Product,
) -> list[OrderFilled]:
    """Return one fill per Kite trade, identified by its trade id and priced by Kite.

    Charges are computed on the order's cumulative turnover and each fill carries the
    increment, so the brokerage cap applies per order as Zerodha bills it.
    """
    turnover = charged = Decimal(0)
    cumulative = 0
    result = []
    for trade in trades:
        quantity, price = int(trade["quantity"]), kite_price(trade["average_price"])
        turnover += quantity * price
        cumulative += quantity
        total = schedule.charges(placed.side, turnover, product).total
        result.append(
            OrderFilled(
                order_id=placed.order_id,
                fill_id=str(trade["trade_id"]),
                strategy_id=placed.strategy_id,
                instrument_token=placed.instrument_token,
                tradingsymbol=placed.tradingsymbol,
                side=placed.side,
                quantity=quantity,
                price=price,
                charges=total - charged,
                remaining_quantity=max(placed.quantity - cumulative, 0),
                filled_at=kite_instant(trade.get("fill_timestamp"), placed.placed_at),
            )
        )
        charged = total
    return result


def failure(placed: OrderPlaced, order: KiteRecord, filled: int) -> OrderFailed | None:
    """Return the failure of a rejected or cancelled order's unfilled rest, else None."""
    remainder = placed.quantity - filled
    if order.get("status") not in FINAL_FAILURES or remainder <= 0:
        return None
    reason = order.get("status_message") or str(order["status"])
    stamp = order.get("exchange_timestamp") or order.get("order_timestamp")
    return placed.failure(remainder, reason, kite_instant(stamp, placed.placed_at))


def order_update(record: KiteRecord, received_at: datetime) -> BrokerOrderUpdate:
    """Return the notice an order update message's `data` gives; raise ValueError if malformed.

    Stamped with the exchange's last update of the order, else its placing, else `received_at`.
    """
    stamp = (
        record.get("exchange_update_timestamp")
        or record.get("exchange_timestamp")
        or record.get("order_timestamp")
    )
    return BrokerOrderUpdate(
        broker_order_id=str(record.get("order_id") or ""),
        tag=record.get("tag") or None,
        status=str(record.get("status") or ""),
        filled_quantity=record.get("filled_quantity", 0),
        updated_at=kite_instant(stamp, received_at),
    )
