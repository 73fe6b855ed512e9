"""The API's read model over the stores the pipeline writes: Redis, the PostgreSQL ledger, Kafka.

Portfolio figures and the day's P&L curve come from the portfolio manager's Redis cache
(rebuilt after every batch), the services' readiness from the health board they report to in
Redis; orders and fills from the ledger tables; risk rejections and dead letters straight from
their topics.
"""

from __future__ import annotations

from datetime import date

import redis.asyncio as redis

from alpha_panda.adapters.postgres.ledger_reader import LedgerOrder, LedgerReader
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.adapters.redis.service_health import ServiceHealth, ServiceHealthBoard
from alpha_panda.api.schemas import (
    DeadLetterView,
    OrderStatus,
    OrderView,
    PnlCurve,
    RejectionView,
)
from alpha_panda.api.topic_reads import TopicReader, dead_letter_view
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from alpha_panda.core.topics import TopicMap, dead_letter_topics, original_of
from alpha_panda.domain.execution import order_tag
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.values import Namespace

LEDGER_STATUS = {
    "OPEN": OrderStatus.PLACED,
    "PARTIAL": OrderStatus.PARTIALLY_FILLED,
    "COMPLETE": OrderStatus.FILLED,
    "REJECTED": OrderStatus.FAILED,
}
"""The portfolio manager's ledger status words, as the API names them."""


class StoreReadModel:
    """Answer the API's read queries from the pipeline's own stores; never writes."""

    def __init__(
        self,
        ledger: LedgerReader,
        client: redis.Redis,
        *,
        kafka_bootstrap: str,
        prefix: str = "",
    ) -> None:
        self._ledger = ledger
        self._bootstrap = kafka_bootstrap
        self._dead_letter_topics = dead_letter_topics(prefix)
        self._caches = {ns: PortfolioCache(client, ns, prefix) for ns in Namespace}
        self._boards = {ns: ServiceHealthBoard(client, ns, prefix) for ns in Namespace}
        self._readers = {ns: TopicReader(kafka_bootstrap, TopicMap(ns, prefix)) for ns in Namespace}

    async def portfolio(self, namespace: Namespace) -> NamespaceSummary | None:
        """Return the cached namespace summary, or None before the first fill."""
        return await self._caches[namespace].summary()

    async def positions(self, namespace: Namespace, strategy_id: str | None) -> list[PositionView]:
        """Return the cached positions, of one strategy or of all."""
        positions = await self._caches[namespace].positions()
        return [p for p in positions if strategy_id in (None, p.strategy_id)]

    async def pnl(self, namespace: Namespace) -> list[StrategySummary]:
        """Return the cached P&L of every strategy, ordered by strategy id."""
        return await self._caches[namespace].strategies()

    async def pnl_curve(self, namespace: Namespace, day: date | None) -> PnlCurve:
        """Return the cached net P&L curve of `day`, by default of the latest day with one."""
        cache = self._caches[namespace]
        if day is None:
            days = await cache.curve_days()
            day = days[-1] if days else None
        points = await cache.curve(day) if day is not None else []
        return PnlCurve(namespace=namespace, day=day, points=points)

    async def orders(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderView]:
        """Return the most recent ledger orders first, with the quantity filled so far."""
        orders = await self._ledger.recent_orders(namespace, strategy_id, limit)
        return [_order(order) for order in orders]

    async def fills(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderFilled]:
        """Return the most recent ledger fills first."""
        return await self._ledger.recent_fills(namespace, strategy_id, limit)

    async def dead_letters(self, topic: str, limit: int) -> list[DeadLetterView] | None:
        """Return up to `limit` records of the `.dlq` topic `topic`, oldest first.

        None for a topic that is not one of the platform's: Kafka would spend its metadata
        timeout looking for it.
        """
        if topic not in self._dead_letter_topics:
            return None
        letters = await read_dead_letters(self._bootstrap, original_of(topic), limit)
        return [dead_letter_view(letter) for letter in letters]

    async def namespace_dead_letters(
        self, namespace: Namespace, limit: int
    ) -> list[DeadLetterView]:
        """Return the newest dead letters of the namespace's topics, without payloads."""
        return await self._readers[namespace].dead_letters(limit)

    async def rejections(self, namespace: Namespace, limit: int) -> list[RejectionView]:
        """Return the risk manager's newest rejections in the namespace."""
        return await self._readers[namespace].rejections(limit)

    async def services(self, namespace: Namespace) -> list[ServiceHealth]:
        """Return the services' last readiness reports from the health board."""
        return await self._boards[namespace].services()


def _order(order: LedgerOrder) -> OrderView:
    return OrderView(
        order_id=order.order_id,
        strategy_id=order.strategy_id,
        instrument_token=order.instrument_token,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        # The ledger keeps no tag: every order is tagged with the digest of its id.
        tag=order_tag(order.order_id),
        placed_at=order.placed_at,
        status=_status(order.ledger_status, order.quantity, order.filled_quantity),
        filled_quantity=order.filled_quantity,
        reason=order.reason,
    )


def _status(ledger_status: str, quantity: int, filled: int) -> OrderStatus:
    # Orders and fills arrive on different topics, so a fill can be booked before its order
    # row exists and leave that row's status behind: the booked fills have the last word.
    if filled >= quantity:
        return OrderStatus.FILLED
    if filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return LEDGER_STATUS[ledger_status]
