"""Copy each strategy's P&L, fills and positions from the portfolio read cache into its status,
and the instruments of it the market feed cannot stream (over Kite's limits).

The portfolio manager publishes the figures to Redis after every batch; this loop reads them
through the same `PortfolioCache` adapter the API uses, every `figures_seconds`, and patches
`status.trading` of each TradingStrategy whose figures changed.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import redis.asyncio as redis

from alpha_panda.adapters.redis.feed_capacity import FeedCapacity
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda.domain.values import Namespace
from alpha_panda_operator.cluster import Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.models import TradingFigures
from alpha_panda_operator.strategies import PLURAL as STRATEGIES

PAISA = Decimal("0.01")
REDIS_TIMEOUT_SECONDS = 2.0

logger = logging.getLogger(__name__)


def trading_figures(
    summary: StrategySummary, positions: Sequence[PositionView], now: datetime
) -> dict[str, Any]:
    """Return a strategy's `status.trading` from its cached summary and open positions."""
    figures = TradingFigures(
        realized_pnl=_rupees(summary.realized_pnl),
        unrealized_pnl=_rupees(summary.unrealized_pnl),
        charges=_rupees(summary.charges),
        net_pnl=_rupees(summary.net_pnl),
        fills=summary.fills,
        orders_today=summary.orders_today,
        fills_today=summary.fills_today,
        last_signal_at=summary.last_signal_at,
        positions=[
            {
                "instrument_token": position.instrument_token,
                "quantity": position.quantity,
                "average_price": str(position.average_price),
                "last_price": str(position.last_price),
                "unrealized_pnl": _rupees(position.unrealized_pnl),
            }
            for position in positions
            if position.strategy_id == summary.strategy_id and position.quantity != 0
        ],
        updated_at=now.replace(microsecond=0),
    )
    return figures.model_dump(mode="json", by_alias=True)


def figures_changed(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> bool:
    """Tell whether the figures differ from those in the status, whenever they were read."""
    if previous is None:
        return True
    return {**previous, "updatedAt": None} != {**current, "updatedAt": None}


class FiguresPublisher:
    """Reads the read cache of every namespace's Redis and writes the figures into statuses."""

    def __init__(self, cluster: Cluster, config: OperatorConfig) -> None:
        self._cluster = cluster
        self._config = config
        self._clients: dict[str, redis.Redis] = {}

    async def run_forever(self) -> None:
        """Publish every `figures_seconds` until cancelled."""
        try:
            while True:
                await asyncio.sleep(self._config.figures_seconds)
                try:
                    await self.publish_once(datetime.now(UTC))
                except Exception:
                    logger.exception("reading the portfolio figures failed")
        finally:
            for client in self._clients.values():
                await client.aclose()

    async def publish_once(self, now: datetime) -> int:
        """Patch the status of every strategy whose figures changed; return how many."""
        written = 0
        namespaces: list[str | None] = [*self._config.watched_namespaces] or [None]
        for namespace in namespaces:
            strategies = await asyncio.to_thread(
                self._cluster.list_resources, STRATEGIES, namespace
            )
            by_scope: dict[SessionScope, list[Mapping[str, Any]]] = {}
            for strategy in strategies:
                scope = _scope_of(strategy)
                if scope is not None:
                    by_scope.setdefault(scope, []).append(strategy)
            for scope, members in by_scope.items():
                written += await self._publish_scope(scope, members, now)
        return written

    async def _publish_scope(
        self, scope: SessionScope, strategies: Sequence[Mapping[str, Any]], now: datetime
    ) -> int:
        client = await asyncio.to_thread(self._client_of, scope.kubernetes_namespace)
        if client is None:
            return 0
        cache = PortfolioCache(client, Namespace(scope.broker_namespace), scope.topic_prefix)
        try:
            summaries = {summary.strategy_id: summary for summary in await cache.strategies()}
            positions = await cache.positions()
            over_capacity = await FeedCapacity(client, scope.market_topic_prefix).read()
        except (redis.RedisError, OSError) as error:
            logger.warning("no figures of session %s: Redis unreachable (%s)", scope, error)
            return 0
        written = 0
        for strategy in strategies:
            metadata = strategy["metadata"]
            status = strategy.get("status") or {}
            patch: dict[str, Any] = {}
            summary = summaries.get(metadata["name"])
            if summary is not None:
                figures = trading_figures(summary, positions, now)
                if figures_changed(status.get("trading"), figures):
                    patch["trading"] = figures
            over = list(over_capacity.get(f"{scope.broker_namespace}/{metadata['name']}", ()))
            if over != (status.get("instrumentsOverCapacity") or []):
                patch["instrumentsOverCapacity"] = over
            if patch:
                await asyncio.to_thread(
                    self._cluster.patch_status,
                    STRATEGIES,
                    metadata["namespace"],
                    metadata["name"],
                    patch,
                )
                written += 1
        return written

    def _client_of(self, namespace: str) -> redis.Redis | None:
        data = self._cluster.get_secret_data(namespace, self._config.infra_secret)
        encoded = (data or {}).get("redis-url")
        if not encoded:
            return None
        url = base64.b64decode(encoded).decode()
        if url not in self._clients:
            self._clients[url] = redis.Redis.from_url(
                url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        return self._clients[url]


def _scope_of(strategy: Mapping[str, Any]) -> SessionScope | None:
    """Return the scope of a strategy's session; None for a spec without one (it is Failed)."""
    spec = strategy.get("spec") or {}
    try:
        broker_namespace = Namespace(spec["namespace"]).value
        session = str(spec["brokerSessionRef"]["name"])
    except (KeyError, TypeError, ValueError):
        return None
    return SessionScope(strategy["metadata"]["namespace"], session, broker_namespace)


def _rupees(amount: Decimal) -> str:
    return str(amount.quantize(PAISA, ROUND_HALF_UP))
