"""Read which orders and fills of a namespace the trade ledger already holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

UNKNOWN_ORDER_TYPE = "UNKNOWN"
"""What the portfolio manager writes as the type of an order it knows only from a failure."""


@dataclass(frozen=True)
class LedgerOrder:
    """An order row: whose it is, and which of its events were booked."""

    order_id: str
    strategy_id: str
    placed: bool
    failed: bool


async def ledger_orders_since(
    pool: asyncpg.Pool, namespace: str, since: datetime
) -> list[LedgerOrder]:
    """Return the namespace's orders placed (or failed) at or after `since`."""
    rows = await pool.fetch(
        "SELECT order_id, strategy_id, order_type <> $3 AS placed, reason IS NOT NULL AS failed"
        " FROM ledger_orders WHERE namespace = $1 AND placed_at >= $2",
        namespace,
        since,
        UNKNOWN_ORDER_TYPE,
    )
    return [LedgerOrder(**dict(row)) for row in rows]


async def booked_fill_ids(pool: asyncpg.Pool, namespace: str, fill_ids: Sequence[str]) -> set[str]:
    """Return which of `fill_ids` the namespace's ledger holds."""
    rows = await pool.fetch(
        "SELECT fill_id FROM ledger_fills WHERE namespace = $1 AND fill_id = ANY($2::text[])",
        namespace,
        list(fill_ids),
    )
    return {row["fill_id"] for row in rows}
