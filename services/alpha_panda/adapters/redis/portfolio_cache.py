"""The portfolio read cache: summaries and positions per namespace, rebuilt after each batch."""

from __future__ import annotations

import redis.asyncio as redis

from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.values import Namespace

KEY_ROOT = "alpha-panda"


class PortfolioCache:
    """Keys `alpha-panda:{prefix}{namespace}:portfolio:*`; paper and zerodha never share one."""

    def __init__(self, client: redis.Redis, namespace: Namespace, prefix: str = "") -> None:
        self._client = client
        self._root = f"{KEY_ROOT}:{prefix}{namespace.value}:portfolio"

    async def publish(
        self,
        summary: NamespaceSummary,
        strategies: list[StrategySummary],
        positions: list[PositionView],
    ) -> None:
        """Replace the cached figures atomically."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._root}:summary", summary.model_dump_json())
            pipe.delete(f"{self._root}:strategies", f"{self._root}:positions")
            if strategies:
                pipe.hset(
                    f"{self._root}:strategies",
                    mapping={s.strategy_id: s.model_dump_json() for s in strategies},
                )
            if positions:
                pipe.hset(
                    f"{self._root}:positions",
                    mapping={
                        f"{p.strategy_id}:{p.instrument_token}": p.model_dump_json()
                        for p in positions
                    },
                )
            await pipe.execute()

    async def summary(self) -> NamespaceSummary | None:
        """Return the cached namespace summary, or None before the first publish."""
        raw = await self._client.get(f"{self._root}:summary")
        return None if raw is None else NamespaceSummary.model_validate_json(raw)

    async def strategies(self) -> list[StrategySummary]:
        """Return the cached per-strategy figures, ordered by strategy id."""
        raw = await self._client.hgetall(f"{self._root}:strategies")
        return sorted(
            (StrategySummary.model_validate_json(v) for v in raw.values()),
            key=lambda s: s.strategy_id,
        )

    async def positions(self) -> list[PositionView]:
        """Return the cached open positions."""
        raw = await self._client.hgetall(f"{self._root}:positions")
        return sorted(
            (PositionView.model_validate_json(v) for v in raw.values()),
            key=lambda p: (p.strategy_id, p.instrument_token),
        )
