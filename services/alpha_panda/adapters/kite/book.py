"""Compare Kite's order and trade books with the order events the platform has recorded.

Pure: the books come in as the official client returns them, the recorded events as ids, and
what the books show without an event comes out as the missing order events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alpha_panda.adapters.kite.orders import KiteRecord, failure, fills, kite_instant, kite_price
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.paper import OrderEvent
from alpha_panda.domain.execution.tags import is_order_tag
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.values import OrderType, Side

UNATTRIBUTED = "unattributed"
PRICED = (OrderType.LIMIT, OrderType.SL)
NO_TIME = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OrderOwner:
    """Whose order a tag is: the platform's order id and the strategy that asked for it."""

    order_id: str
    strategy_id: str


@dataclass(frozen=True)
class RecordedOrders:
    """The order events the platform holds: whose each tag is, and which events exist."""

    owners: Mapping[str, OrderOwner] = field(default_factory=dict)
    """By tag: from the ledger's orders, and from validated signals that never got an event."""
    placed: frozenset[str] = frozenset()
    """Order ids with an OrderPlaced."""
    failed: frozenset[str] = frozenset()
    """Order ids with an OrderFailed."""
    fill_ids: frozenset[str] = frozenset()
    """Kite trade ids with an OrderFilled."""


@dataclass(frozen=True)
class BookComparison:
    """What the books hold without an event: the events to emit and the orders they concern."""

    events: list[OrderEvent]
    orders: list[str]
    """Kite order ids of the tagged orders missing at least one event."""


def compare_books(
    orders: Sequence[KiteRecord],
    trades: Sequence[KiteRecord],
    recorded: RecordedOrders,
    charges: ChargeSchedule | None = None,
    product: Product = Product.INTRADAY,
) -> BookComparison:
    """Return the events missing for the platform's orders (tagged as `order_tag` tags).

    Per order: its OrderPlaced, a fill per Kite trade (charged as the engine charges them,
    on the order's cumulative turnover) and the failure of a rejected or cancelled rest,
    each only if not recorded. An order whose tag has no owner is attributed to the
    `unattributed` strategy under its tag as order id, so the ledger still mirrors the book.
    """
    schedule = charges or ChargeSchedule()
    trades_of: dict[str, list[KiteRecord]] = defaultdict(list)
    for trade in trades:
        trades_of[str(trade["order_id"])].append(trade)
    events: list[OrderEvent] = []
    concerned: list[str] = []
    for order in orders:
        tag = order.get("tag")
        if not is_order_tag(tag):
            continue
        placed = placed_from_book(order, recorded.owners.get(tag) or OrderOwner(tag, UNATTRIBUTED))
        kite_order_id = str(order["order_id"])
        own_trades = trades_of.get(kite_order_id, [])
        missing: list[OrderEvent] = []
        if placed.order_id not in recorded.placed:
            missing.append(placed)
        missing.extend(
            fill
            for fill in fills(placed, own_trades, schedule, product)
            if fill.fill_id not in recorded.fill_ids
        )
        rest = failure(placed, order, sum(int(trade["quantity"]) for trade in own_trades))
        if rest is not None and placed.order_id not in recorded.failed:
            missing.append(rest)
        if missing:
            events.extend(missing)
            concerned.append(kite_order_id)
    return BookComparison(events, concerned)


def placed_from_book(order: KiteRecord, owner: OrderOwner) -> OrderPlaced:
    """Return the OrderPlaced of a Kite order record, for the owner its tag belongs to."""
    order_type = OrderType(order["order_type"])
    price = order.get("price")
    placed_at = kite_instant(order.get("order_timestamp"), NO_TIME)
    if placed_at is NO_TIME:
        raise ValueError(f"Kite order {order.get('order_id')} carries no order_timestamp")
    return OrderPlaced(
        order_id=owner.order_id,
        strategy_id=owner.strategy_id,
        instrument_token=int(order["instrument_token"]),
        tradingsymbol=str(order.get("tradingsymbol") or ""),
        side=Side(order["transaction_type"]),
        quantity=int(order["quantity"]),
        order_type=order_type,
        limit_price=kite_price(price) if order_type in PRICED and price else None,
        tag=str(order["tag"]),
        placed_at=placed_at,
    )
