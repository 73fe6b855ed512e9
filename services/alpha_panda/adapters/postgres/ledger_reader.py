"""Read the trade ledger (`ledger_orders`, `ledger_fills`) for the API and the session summary;
never writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.values import Namespace, OrderType, Side

_ORDERS_SQL = (
    "SELECT o.order_id, o.strategy_id, o.instrument_token, o.side, o.quantity, o.order_type,"
    " o.status, o.reason, o.placed_at, coalesce(sum(f.quantity), 0) AS filled_quantity"
    " FROM ledger_orders o LEFT JOIN ledger_fills f"
    " ON f.namespace = o.namespace AND f.order_id = o.order_id"
    " WHERE o.namespace = $1 AND ($2::text IS NULL OR o.strategy_id = $2)"
    " GROUP BY o.namespace, o.order_id ORDER BY o.placed_at DESC, o.order_id DESC LIMIT $3"
)
_FILLS_SQL = (
    "SELECT order_id, fill_id, strategy_id, instrument_token, side, quantity, price, charges,"
    " filled_at FROM ledger_fills"
    " WHERE namespace = $1 AND ($2::text IS NULL OR strategy_id = $2)"
    " ORDER BY filled_at DESC, fill_id DESC LIMIT $3"
)


@dataclass(frozen=True)
class LedgerOrder:
    """An order row with the ledger's own status word and the quantity its fills booked."""

    order_id: str
    strategy_id: str
    instrument_token: int
    side: Side
    quantity: int
    order_type: OrderType
    ledger_status: str
    reason: str | None
    """Why the order failed, as the broker or the trader said; None unless it failed."""
    placed_at: datetime
    filled_quantity: int


class LedgerReader:
    """Answer order and fill listings and totals from the ledger tables."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def recent_orders(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[LedgerOrder]:
        """Return up to `limit` orders, most recently placed first, with their filled quantity."""
        rows = await self._pool.fetch(_ORDERS_SQL, namespace.value, strategy_id, limit)
        return [_order(row) for row in rows]

    async def recent_fills(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderFilled]:
        """Return up to `limit` fills, most recent first."""
        rows = await self._pool.fetch(_FILLS_SQL, namespace.value, strategy_id, limit)
        return [_fill(row) for row in rows]

    async def fill_totals(self) -> dict[str, tuple[int, Decimal]]:
        """Return fills and charges per strategy, as booked."""
        rows = await self._pool.fetch(
            "SELECT strategy_id, count(*) AS fills, coalesce(sum(charges), 0) AS charges"
            " FROM ledger_fills GROUP BY strategy_id ORDER BY strategy_id"
        )
        return {row["strategy_id"]: (row["fills"], row["charges"]) for row in rows}


def _order(row: asyncpg.Record) -> LedgerOrder:
    return LedgerOrder(
        order_id=row["order_id"],
        strategy_id=row["strategy_id"],
        instrument_token=row["instrument_token"],
        side=Side(row["side"]),
        quantity=row["quantity"],
        order_type=OrderType(row["order_type"]),
        ledger_status=row["status"],
        reason=row["reason"],
        placed_at=row["placed_at"],
        filled_quantity=row["filled_quantity"],
    )


def _fill(row: asyncpg.Record) -> OrderFilled:
    fields: dict[str, Any] = dict(row)
    return OrderFilled(**{**fields, "side": Side(fields["side"])})
