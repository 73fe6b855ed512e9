"""Book orders and fills into the PostgreSQL ledger and mark positions to market."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from alpha_panda.adapters.postgres.state import state_writer
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.portfolio import Portfolio

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


class PortfolioManager(StreamProcessor):
    """Keep the namespace's positions, P&L, cash and margin, durable and cached."""

    def __init__(
        self,
        settings: Settings,
        ledger: ProcessedLedger,
        portfolio: Portfolio,
        cache: PortfolioCache,
    ) -> None:
        topics = settings.topics
        super().__init__(
            settings,
            input_topics=[
                topics.market_ticks,
                topics.orders_placed,
                topics.orders_filled,
                topics.orders_failed,
            ],
            latest_only=[topics.market_ticks],  # positions are marked to the last price
            ledger=ledger,
        )
        self.portfolio = portfolio
        self.cache = cache
        self._rows: list[tuple[str, tuple[Any, ...]]] = []
        self._marked = False

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Restore positions and booked fill ids saved by a previous run."""
        if snapshot:
            self.portfolio.restore(snapshot)

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        data, ns = event.data, self.namespace
        if isinstance(data, Tick):
            self.portfolio.mark(data)
            self._marked = True
            return []
        if isinstance(data, OrderPlaced):
            self._write(_PLACED_SQL, ns, data.order_id, event.id, data.strategy_id,
                        data.instrument_token, data.side.value, data.quantity,
                        data.order_type.value, data.placed_at)  # fmt: skip
        elif isinstance(data, OrderFilled):
            if not self.portfolio.apply_fill(data):
                return []  # booked before, under another event id
            self._write(_FILL_SQL, ns, data.fill_id, event.id, data.order_id, data.strategy_id,
                        data.instrument_token, data.side.value, data.quantity, data.price,
                        data.charges, data.filled_at)  # fmt: skip
        elif isinstance(data, OrderFailed):
            self._write(_FAILED_SQL, ns, data.order_id, event.id, data.strategy_id,
                        data.instrument_token, data.side.value, data.quantity, data.reason,
                        data.failed_at)  # fmt: skip
        else:
            raise TypeError(f"unexpected {event.type} on the portfolio manager's topics")
        self._write(_STATUS_SQL, ns, data.order_id)
        return []

    def _write(self, sql: str, *arguments: Any) -> None:
        """Queue a ledger statement for the batch's transaction."""
        self._rows.append((sql, arguments))

    def state_writer(self) -> StateWriter | None:
        if not self._rows:
            return None
        rows, self._rows = self._rows, []
        snapshot = state_writer(self.settings.consumer_group, self.portfolio.snapshot())

        async def write(connection: asyncpg.Connection) -> None:
            for sql, arguments in rows:
                await connection.execute(sql, *arguments)
            await snapshot(connection)

        self._marked = True
        return write

    async def after_batch(self) -> None:
        if not self._marked:
            return
        self._marked = False
        portfolio = self.portfolio
        await self.cache.publish(
            portfolio.namespace_summary(),
            [portfolio.strategy_summary(s) for s in portfolio.strategy_ids()],
            portfolio.positions(),
        )
