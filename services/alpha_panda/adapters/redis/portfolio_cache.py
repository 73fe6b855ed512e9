"""The portfolio read cache: summaries and positions per namespace, rebuilt after each batch,
and the day's net P&L curve in exchange time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import redis.asyncio as redis

from alpha_panda.domain.portfolio.summary import (
    NamespaceSummary,
    PnlPoint,
    PositionView,
    StrategySummary,
)
from alpha_panda.domain.values import Namespace, ist_date

KEY_ROOT = "alpha-panda"
CURVE_STEP_SECONDS = 15
"""One curve point per this much exchange time (the last figures of each step): at most
1,500 points over a 09:15-15:30 day, whatever the tick rate."""
CURVE_LIFETIME = timedelta(days=3)


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
        as_of: datetime | None = None,
    ) -> None:
        """Replace the cached figures atomically; with `as_of` (the exchange time of the last
        event marked or booked), also record them as that step's point of the day's curve."""
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
            if as_of is not None:
                point = PnlPoint(
                    at=as_of,
                    net_pnl=summary.net_pnl,
                    strategies={s.strategy_id: s.net_pnl for s in strategies},
                )
                key = f"{self._root}:curve:{ist_date(as_of)}"
                step = int(as_of.timestamp()) // CURVE_STEP_SECONDS * CURVE_STEP_SECONDS
                pipe.hset(key, str(step), point.model_dump_json())
                pipe.expire(key, CURVE_LIFETIME)
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

    async def curve_days(self) -> list[date]:
        """Return the IST trading days that have a curve, oldest first."""
        prefix = f"{self._root}:curve:"
        keys = [key async for key in self._client.scan_iter(match=f"{prefix}*")]
        return sorted(date.fromisoformat(key.decode().removeprefix(prefix)) for key in keys)

    async def curve(self, day: date) -> list[PnlPoint]:
        """Return the net P&L curve of an IST trading day, in exchange-time order."""
        raw = await self._client.hgetall(f"{self._root}:curve:{day.isoformat()}")
        return sorted((PnlPoint.model_validate_json(v) for v in raw.values()), key=lambda p: p.at)
