"""Level-based repair: every period, reconcile every resource as if it had just changed."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from alpha_panda_operator.cluster import Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.sessions import PLURAL as SESSIONS
from alpha_panda_operator.sessions import reconcile_session
from alpha_panda_operator.strategies import PLURAL as STRATEGIES
from alpha_panda_operator.strategies import reconcile_strategy

logger = logging.getLogger(__name__)


async def resync_forever(cluster: Cluster, config: OperatorConfig) -> None:
    """Resync every `resync_seconds`, and also right at the next token expiry."""
    delay = config.resync_seconds
    while True:
        await asyncio.sleep(delay)
        try:
            next_expiry = await asyncio.to_thread(resync_once, cluster, config)
        except Exception:
            logger.exception("resync failed; retrying in %s s", config.resync_seconds)
            next_expiry = None
        delay = config.resync_seconds
        if next_expiry is not None:
            until_expiry = (next_expiry - datetime.now(UTC)).total_seconds()
            delay = min(delay, max(until_expiry, 0.0))


def resync_once(cluster: Cluster, config: OperatorConfig) -> datetime | None:
    """Reconcile every watched resource; return the earliest expiry of a usable session."""
    upcoming: list[datetime] = []
    namespaces: list[str | None] = [*config.watched_namespaces] or [None]
    for namespace in namespaces:
        for session in cluster.list_resources(SESSIONS, namespace):
            if session["metadata"].get("deletionTimestamp"):
                continue
            try:
                usable, expires_at = reconcile_session(cluster, config, session)
            except Exception:
                logger.exception("resync of BrokerSession %s failed", session["metadata"]["name"])
                continue
            if usable and expires_at is not None:
                upcoming.append(expires_at)
        for strategy in cluster.list_resources(STRATEGIES, namespace):
            if strategy["metadata"].get("deletionTimestamp"):
                continue
            try:
                reconcile_strategy(cluster, config, strategy)
            except Exception:
                logger.exception(
                    "resync of TradingStrategy %s failed", strategy["metadata"]["name"]
                )
    return min(upcoming, default=None)
