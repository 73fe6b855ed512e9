"""Strategy configuration rows: what each strategy runner trades and with which limits."""

from __future__ import annotations

import json

import asyncpg

from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace


class StrategyRepository:
    """Read and write `strategies`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def upsert(self, config: StrategyConfig) -> None:
        """Insert or replace a strategy's configuration."""
        await self._pool.execute(
            "INSERT INTO strategies (strategy_id, namespace, strategy_type, instruments,"
            " parameters, risk_limits, paused, updated_at)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, now())"
            " ON CONFLICT (strategy_id) DO UPDATE SET namespace = $2, strategy_type = $3,"
            " instruments = $4, parameters = $5::jsonb, risk_limits = $6::jsonb, paused = $7,"
            " updated_at = now()",
            config.strategy_id,
            config.namespace.value,
            config.strategy_type,
            list(config.instruments),
            json.dumps(config.parameters),
            config.risk_limits.model_dump_json(exclude_unset=True),
            config.paused,
        )

    async def get(self, strategy_id: str) -> StrategyConfig | None:
        """Return one strategy's configuration, or None."""
        row = await self._pool.fetchrow(
            "SELECT * FROM strategies WHERE strategy_id = $1", strategy_id
        )
        return None if row is None else _config(row)

    async def list(self, namespace: Namespace | None = None) -> list[StrategyConfig]:
        """Return every strategy, or those of one namespace, ordered by id."""
        rows = await self._pool.fetch(
            "SELECT * FROM strategies WHERE $1::text IS NULL OR namespace = $1"
            " ORDER BY strategy_id",
            namespace.value if namespace else None,
        )
        return [_config(row) for row in rows]

    async def set_paused(self, strategy_id: str, paused: bool) -> bool:
        """Pause or resume a strategy; return False when it does not exist."""
        status = await self._pool.execute(
            "UPDATE strategies SET paused = $2, updated_at = now() WHERE strategy_id = $1",
            strategy_id,
            paused,
        )
        return status.endswith(" 1")


def _config(row: asyncpg.Record) -> StrategyConfig:
    return StrategyConfig(
        strategy_id=row["strategy_id"],
        namespace=Namespace(row["namespace"]),
        strategy_type=row["strategy_type"],
        instruments=tuple(row["instruments"]),
        parameters=json.loads(row["parameters"]),
        risk_limits=RiskLimits.model_validate_json(row["risk_limits"]),
        paused=row["paused"],
    )
