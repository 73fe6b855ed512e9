"""The API's read model over the stores the pipeline writes: Redis, the PostgreSQL ledger, Kafka.

Portfolio figures come from the portfolio manager's Redis cache (rebuilt after every batch),
the services' readiness from the health board they report to in Redis;
orders and fills from the ledger tables; dead letters straight from their `.dlq` topic.
"""

from __future__ import annotations

import redis.asyncio as redis

from alpha_panda.adapters.postgres.ledger_reader import LedgerOrder, LedgerReader
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.adapters.redis.service_health import ServiceHealth, ServiceHealthBoard
from alpha_panda.api.schemas import DeadLetterView, OrderStatus, OrderView
from alpha_panda.core.streaming.dead_letters import DeadLetter, read_dead_letters
from alpha_panda.core.topics import TopicMap, is_dlq, original_of
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
        self._dead_letter_topics = {
            topic
            for namespace in Namespace
            for topic in TopicMap(namespace, prefix).all_topics()
            if is_dlq(topic)
        }
        self._caches = {ns: PortfolioCache(client, ns, prefix) for ns in Namespace}
        self._boards = {ns: ServiceHealthBoard(client, ns, prefix) for ns in Namespace}

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
        return [_dead_letter(letter) for letter in letters]

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
    )


def _status(ledger_status: str, quantity: int, filled: int) -> OrderStatus:
    # Orders and fills arrive on different topics, so a fill can be booked before its order
    # row exists and leave that row's status behind: the booked fills have the last word.
    if filled >= quantity:
        return OrderStatus.FILLED
    if filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return LEDGER_STATUS[ledger_status]


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _dead_letter(letter: DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        topic=letter.topic,
        partition=letter.partition,
        offset=letter.offset,
        error_class=letter.error_class,
        error_message=letter.error_message,
        attempts=letter.attempts,
        consumer_group=letter.consumer_group,
        failed_at=letter.failed_at,
        key=_text(letter.key),
        value=_text(letter.value),
    )
