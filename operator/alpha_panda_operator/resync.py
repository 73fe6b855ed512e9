"""Level-based repair: every period, reconcile every resource as if it had just changed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from alpha_panda_operator.cluster import Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.sessions import PLURAL as SESSIONS
from alpha_panda_operator.sessions import reconcile_session
from alpha_panda_operator.strategies import PLURAL as STRATEGIES
from alpha_panda_operator.strategies import reconcile_strategy

logger = logging.getLogger(__name__)


@dataclass
class Heartbeat:
    """When the last resync completed: the operator is ready while that is recent."""

    last: datetime | None = None

    def problem(self, now: datetime, period: float) -> str | None:
        """Return why the operator is not ready, or None when it is."""
        if self.last is None:
            return "the first resync has not completed"
        late = (now - self.last).total_seconds()
        if late > 3 * period + 30:
            return f"no resync completed for {late:.0f} s"
        return None


async def resync_forever(
    cluster: Cluster, config: OperatorConfig, heartbeat: Heartbeat, next_expiry: datetime | None
) -> None:
    """Resync every `resync_seconds`, and also right at the next token expiry."""
    while True:
        delay = config.resync_seconds
        if next_expiry is not None:
            until_expiry = (next_expiry - datetime.now(UTC)).total_seconds()
            delay = min(delay, max(until_expiry, 0.0))
        await asyncio.sleep(delay)
        try:
            next_expiry = await resync_and_record(cluster, config, heartbeat)
        except Exception:
            logger.exception("resync failed; retrying in %s s", config.resync_seconds)
            next_expiry = None


async def resync_and_record(
    cluster: Cluster, config: OperatorConfig, heartbeat: Heartbeat
) -> datetime | None:
    """Resync once off the event loop and record when it completed; return the next expiry."""
    next_expiry = await asyncio.to_thread(resync_once, cluster, config)
    heartbeat.last = datetime.now(UTC)
    return next_expiry


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
