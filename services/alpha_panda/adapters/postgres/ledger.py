"""The trade ledger in PostgreSQL: `ledger_orders` and `ledger_fills`."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.portfolio.ledger import LedgerEntry

# Placed, filled and failed events travel on different topics, so they may arrive in any
# order: each writes what it knows and the status is recomputed from the fills every time.
_PLACED_SQL = (
    "INSERT INTO ledger_orders (namespace, order_id, event_id, strategy_id, instrument_token,"
    " side, quantity, order_type, status, reason, placed_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'OPEN', NULL, $9)"
    " ON CONFLICT (namespace, order_id) DO UPDATE SET event_id = EXCLUDED.event_id,"
    " order_type = EXCLUDED.order_type, placed_at = EXCLUDED.placed_at"
)
_FAILED_SQL = (
    "INSERT INTO ledger_orders (namespace, order_id, event_id, strategy_id, instrument_token,"
    " side, quantity, order_type, status, reason, placed_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, 'UNKNOWN', 'OPEN', $8, $9)"
    " ON CONFLICT (namespace, order_id) DO UPDATE SET reason = EXCLUDED.reason"
)
_FILL_SQL = (
    "INSERT INTO ledger_fills (namespace, fill_id, event_id, order_id, strategy_id,"
    " instrument_token, side, quantity, price, charges, filled_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING"
)
_STATUS_SQL = (
    "UPDATE ledger_orders AS o SET status = CASE"
    " WHEN f.filled >= o.quantity THEN 'COMPLETE'"
    " WHEN f.filled > 0 THEN 'PARTIAL'"
    " WHEN o.reason IS NOT NULL THEN 'REJECTED' ELSE 'OPEN' END"
    " FROM (SELECT coalesce(sum(quantity), 0) AS filled FROM ledger_fills"
    "       WHERE namespace = $1 AND order_id = $2) AS f"
    " WHERE o.namespace = $1 AND o.order_id = $2"
)


async def write_ledger(connection: asyncpg.Connection, entries: Sequence[object]) -> None:
    """Book ledger entries inside the caller's transaction."""
    for entry in entries:
        if not isinstance(entry, LedgerEntry):
            raise TypeError(f"the trade ledger books LedgerEntry, not {type(entry).__name__}")
        ns, data = entry.namespace.value, entry.event
        if isinstance(data, OrderPlaced):
            await connection.execute(_PLACED_SQL, ns, data.order_id, entry.event_id,
                data.strategy_id, data.instrument_token, data.side.value, data.quantity,
                data.order_type.value, data.placed_at)  # fmt: skip
        elif isinstance(data, OrderFilled):
            await connection.execute(_FILL_SQL, ns, data.fill_id, entry.event_id, data.order_id,
                data.strategy_id, data.instrument_token, data.side.value, data.quantity,
                data.price, data.charges, data.filled_at)  # fmt: skip
        elif isinstance(data, OrderFailed):
            await connection.execute(_FAILED_SQL, ns, data.order_id, entry.event_id,
                data.strategy_id, data.instrument_token, data.side.value, data.quantity,
                data.reason, data.failed_at)  # fmt: skip
        await connection.execute(_STATUS_SQL, ns, data.order_id)
